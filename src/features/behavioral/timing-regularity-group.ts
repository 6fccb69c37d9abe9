import { foldEvents, moments } from '../../aggregate/index.js';
import { ConfigError } from '../../errors/vigil-error.js';
import type { BehavioralEvent } from '../../events/security-events.js';
import { isSecurityEvent } from '../../events/security-events.js';
import type { FeatureGroup } from '../feature-group.js';
import { pushBounded } from './bounded.js';

/**
 * Feature 91, timing regularity: the coefficient of variation (population std / mean) of the
 * gaps between the source's last `window` + 1 session starts:
 *
 *   CV = std(g) / mean(g),  g = the last `window` gaps between session starts, in seconds
 *
 * A scheduler or a brute-force loop reconnects like a clock (CV near 0); people, and bursts
 * after long pauses, give CV near or above 1. Range [0, sqrt(window − 1)].
 *
 * Why session starts and not every event: within a session the protocol sets the rhythm
 * (connect, banner, login, close within a second), so the gaps of all events mix that rhythm
 * with the gaps between sessions, and even a perfectly periodic bot scores high.
 *
 * A session start is a flow (each flow is one connection: flows feed this feature and only
 * this one of 85-94), or a security event whose session id is not among the source's last
 * `recentSessions` ids (sessions of one source interleave; a Cowrie session starts with its
 * connect, an sshd one with its first line). Events without a session id are not starts.
 * Late events count as a gap of 0.
 *
 * Missing: fewer than 2 gaps -> 1, the CV of a Poisson process (random arrivals): no
 * evidence of regularity either way. All gaps 0 (a burst within one millisecond) -> 0.
 */
export interface TimingRegularityOptions {
  /** Gaps kept per source. */
  window?: number;
  /** Session ids remembered per source, to tell a new session from an interleaved one. */
  recentSessions?: number;
}

export const TIMING_REGULARITY_DEFAULTS = Object.freeze({ window: 16, recentSessions: 8 });

/** The value when there are too few gaps to say anything. */
export const TIMING_REGULARITY_MISSING = 1;

export interface TimingRegularityState {
  readonly lastStartTs: number | null;
  /** The latest gaps between session starts, seconds, oldest first. */
  readonly gapsS: readonly number[];
  readonly recentSessions: readonly string[];
  readonly cv: number;
}

export function coefficientOfVariation(values: readonly number[]): number {
  if (values.length < 2) return TIMING_REGULARITY_MISSING;
  const m = moments.finalize(foldEvents(moments, values.map((value) => ({ value, ts: 0 }))));
  return m.mean > 0 ? m.std / m.mean : 0;
}

export function createTimingRegularityGroup(options: TimingRegularityOptions = {}): FeatureGroup<TimingRegularityState, BehavioralEvent> {
  const { window, recentSessions } = { ...TIMING_REGULARITY_DEFAULTS, ...options };
  if (!Number.isInteger(window) || window < 2) throw new ConfigError(`createTimingRegularityGroup: window must be an integer >= 2, got ${window}`);
  if (!Number.isInteger(recentSessions) || recentSessions < 1) throw new ConfigError(`createTimingRegularityGroup: recentSessions must be a positive integer, got ${recentSessions}`);
  return {
    name: 'timing_regularity',
    slots: [91],
    scope: 'source',
    init: () => ({ lastStartTs: null, gapsS: [], recentSessions: [], cv: TIMING_REGULARITY_MISSING }),
    step(state, event) {
      let sessions = state.recentSessions;
      if (isSecurityEvent(event)) {
        if (event.sessionId === null || sessions.includes(event.sessionId)) return { state, values: [state.cv] };
        sessions = pushBounded(sessions, event.sessionId, recentSessions);
      }
      if (state.lastStartTs === null) return { state: { ...state, lastStartTs: event.ts, recentSessions: sessions }, values: [state.cv] };
      const gapsS = pushBounded(state.gapsS, Math.max(0, event.ts - state.lastStartTs) / 1000, window);
      const cv = coefficientOfVariation(gapsS);
      return { state: { lastStartTs: Math.max(state.lastStartTs, event.ts), gapsS, recentSessions: sessions, cv }, values: [cv] };
    },
  };
}
