import { ConfigError } from '../../errors/vigil-error.js';
import type { BehavioralEvent } from '../../events/security-events.js';
import { isSecurityEvent } from '../../events/security-events.js';
import type { FeatureGroup } from '../feature-group.js';

/**
 * Feature 94, failed-auth pattern: the source's current run of failed logins, and whether it
 * ended in a success.
 *
 *   after a failure:                r / (r + K)          in (0, 1)
 *   after a success ending a run:   1 + r / (r + K)      in (1, 2)
 *   after a success with no run:    0
 *
 * r is the failed attempts since the source's last success (a syslog "message repeated N
 * times" line adds N), K = `halfSaturation` (the run at which a failure scores 0.5). A
 * success after failures is what a brute force that worked looks like, so it scores above
 * any run of failures, and more the longer the run. A gap of more than `runGapMs` between
 * auth events ends a run (r restarts at 0).
 *
 * The value is held until the next auth event, so the commands of a session opened by a
 * guessed password carry its score. Before any auth event: 0. Flows leave it as it is.
 */
export interface FailedAuthOptions {
  halfSaturation?: number;
  runGapMs?: number;
}

export const FAILED_AUTH_DEFAULTS = Object.freeze({ halfSaturation: 5, runGapMs: 3_600_000 });

export interface FailedAuthState {
  /** Failed attempts in the current run. */
  readonly run: number;
  readonly lastAuthTs: number | null;
  readonly value: number;
}

export function createFailedAuthGroup(options: FailedAuthOptions = {}): FeatureGroup<FailedAuthState, BehavioralEvent> {
  const { halfSaturation, runGapMs } = { ...FAILED_AUTH_DEFAULTS, ...options };
  if (!(halfSaturation > 0) || !Number.isFinite(halfSaturation)) throw new ConfigError(`createFailedAuthGroup: halfSaturation must be a positive number, got ${halfSaturation}`);
  if (!(runGapMs > 0)) throw new ConfigError(`createFailedAuthGroup: runGapMs must be positive, got ${runGapMs}`);
  const saturation = (r: number): number => r / (r + halfSaturation);
  return {
    name: 'failed_auth',
    slots: [94],
    scope: 'source',
    init: () => ({ run: 0, lastAuthTs: null, value: 0 }),
    step(state, event) {
      if (!isSecurityEvent(event) || event.kind !== 'auth') return { state, values: [state.value] };
      const broken = state.lastAuthTs !== null && event.ts - state.lastAuthTs > runGapMs;
      const run = broken ? 0 : state.run;
      const lastAuthTs = state.lastAuthTs === null ? event.ts : Math.max(state.lastAuthTs, event.ts);
      if (event.outcome === 'failure') {
        const r = run + event.attempts;
        const value = saturation(r);
        return { state: { run: r, lastAuthTs, value }, values: [value] };
      }
      const value = run > 0 ? 1 + saturation(run) : 0;
      return { state: { run: 0, lastAuthTs, value }, values: [value] };
    },
  };
}
