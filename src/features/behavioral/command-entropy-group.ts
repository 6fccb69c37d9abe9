import { ConfigError } from '../../errors/vigil-error.js';
import type { BehavioralEvent } from '../../events/security-events.js';
import { isSecurityEvent } from '../../events/security-events.js';
import type { FeatureGroup } from '../feature-group.js';
import { pushBounded } from './bounded.js';
import { commandTokens } from './command-tokens.js';

/**
 * Feature 90: Shannon entropy, in bits, of the source's last `window` command tokens (the
 * programs its input lines ran, see commandTokens), whatever their age:
 *
 *   H = −Σ_t p_t · log2 p_t,  p_t = share of token t among the kept tokens
 *
 * A bot replaying one script scores low and flat; a human exploring, or a dropper fetching
 * randomly named binaries, scores high. Only `input` command events add tokens (`failed`
 * repeats an input); other events and flows leave the value as it is. No command yet: 0, the
 * entropy of nothing (and of one repeated token). Range [0, log2(window)] (5 bits by default).
 */
export interface CommandEntropyOptions {
  /** Tokens kept per source. */
  window?: number;
}

export const COMMAND_ENTROPY_DEFAULTS = Object.freeze({ window: 32 });

export interface CommandEntropyState {
  readonly tokens: readonly string[];
  /** shannonEntropyBits(tokens), kept so events that add no token cost nothing. */
  readonly entropy: number;
}

export function shannonEntropyBits(items: readonly string[]): number {
  if (items.length === 0) return 0;
  const counts = new Map<string, number>();
  for (const t of items) counts.set(t, (counts.get(t) ?? 0) + 1);
  let h = 0;
  for (const n of counts.values()) {
    const p = n / items.length;
    h -= p * Math.log2(p);
  }
  // −0 and 1e-17 noise when one token fills the window are both "no uncertainty".
  return h > 1e-12 ? h : 0;
}

export function createCommandEntropyGroup(options: CommandEntropyOptions = {}): FeatureGroup<CommandEntropyState, BehavioralEvent> {
  const { window } = { ...COMMAND_ENTROPY_DEFAULTS, ...options };
  if (!Number.isInteger(window) || window < 2) throw new ConfigError(`createCommandEntropyGroup: window must be an integer >= 2, got ${window}`);
  return {
    name: 'command_entropy',
    slots: [90],
    scope: 'source',
    init: () => ({ tokens: [], entropy: 0 }),
    step(state, event) {
      if (!isSecurityEvent(event) || event.kind !== 'command' || event.action !== 'input') return { state, values: [state.entropy] };
      let tokens = state.tokens;
      for (const t of commandTokens(event.input)) tokens = pushBounded(tokens, t, window);
      const next = tokens === state.tokens ? state : { tokens, entropy: shannonEntropyBits(tokens) };
      return { state: next, values: [next.entropy] };
    },
  };
}
