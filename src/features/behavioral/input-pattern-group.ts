import { ConfigError } from '../../errors/vigil-error.js';
import type { BehavioralEvent } from '../../events/security-events.js';
import { isSecurityEvent } from '../../events/security-events.js';
import type { FeatureGroup } from '../feature-group.js';
import { pushBounded } from './bounded.js';

/**
 * Feature 92, input pattern: whether the source's command lines are typed or scripted, as a
 * balance over its last `window` judged inputs:
 *
 *   value = (scripted − typed) / judged,  in [−1, 1]
 *
 * An input line is **scripted** (pasted, or sent by a program) when it arrived sooner after
 * the source's previous security event than a fast typist could have typed it:
 *
 *   gap_s < (characters + 1) / typingCharsPerSecond     (+1 for Enter)
 *
 * and **typed** otherwise. At the default 10 characters/s (~120 words a minute) `ls` needs
 * 0.3 s. In the Cowrie logs bots send line after line 4 ms apart, while the few people wait
 * seconds between `ls`, `find /` and `uname -a`. The previous event may be of any kind (the
 * login, the shell's answer to the last line), since a person types after seeing it. A line
 * with no earlier event of its source cannot be judged and is skipped.
 *
 * Only `input` command events are judged; flows, other events and `failed` (the shell's
 * answer) only move the "previous event" time (flows not even that). Where a log has no
 * command lines (sshd) the feature keeps its missing value, 0: no evidence either way.
 */
export interface InputPatternOptions {
  /** Judged inputs kept per source. */
  window?: number;
  /** The fastest plausible typing speed; faster input counts as scripted. */
  typingCharsPerSecond?: number;
}

export const INPUT_PATTERN_DEFAULTS = Object.freeze({ window: 16, typingCharsPerSecond: 10 });

export interface InputPatternState {
  readonly lastTs: number | null;
  /** +1 scripted, −1 typed, oldest first. */
  readonly verdicts: readonly number[];
  readonly balance: number;
}

const mean = (xs: readonly number[]): number => (xs.length === 0 ? 0 : xs.reduce((a, b) => a + b, 0) / xs.length);

export function createInputPatternGroup(options: InputPatternOptions = {}): FeatureGroup<InputPatternState, BehavioralEvent> {
  const { window, typingCharsPerSecond } = { ...INPUT_PATTERN_DEFAULTS, ...options };
  if (!Number.isInteger(window) || window < 1) throw new ConfigError(`createInputPatternGroup: window must be a positive integer, got ${window}`);
  if (!(typingCharsPerSecond > 0) || !Number.isFinite(typingCharsPerSecond)) {
    throw new ConfigError(`createInputPatternGroup: typingCharsPerSecond must be a positive number, got ${typingCharsPerSecond}`);
  }
  return {
    name: 'input_pattern',
    slots: [92],
    scope: 'source',
    init: () => ({ lastTs: null, verdicts: [], balance: 0 }),
    step(state, event) {
      if (!isSecurityEvent(event)) return { state, values: [state.balance] };
      const lastTs = state.lastTs === null ? event.ts : Math.max(state.lastTs, event.ts);
      if (event.kind !== 'command' || event.action !== 'input' || state.lastTs === null) {
        return { state: { ...state, lastTs }, values: [state.balance] };
      }
      const gapS = (event.ts - state.lastTs) / 1000;
      const typingS = (event.input.trim().length + 1) / typingCharsPerSecond;
      const verdicts = pushBounded(state.verdicts, gapS < typingS ? 1 : -1, window);
      const balance = mean(verdicts);
      return { state: { lastTs, verdicts, balance }, values: [balance] };
    },
  };
}
