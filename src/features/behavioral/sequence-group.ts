import { ConfigError } from '../../errors/vigil-error.js';
import type { BehavioralEvent, SecurityEvent } from '../../events/security-events.js';
import { isSecurityEvent } from '../../events/security-events.js';
import type { FeatureGroup } from '../feature-group.js';
import { lstmStep, zeroLstmState, type LstmWeights } from './lstm-cell.js';
import { encodeSequenceStep, isEpisodeStart } from './sequence-encoding.js';
import { SEQUENCE_FEATURE_UNITS, type SequenceModel } from './sequence-model.js';

/**
 * Features 85-89: five hidden units of the sequence LSTM (models/sequence-lstm), run over the
 * source's security events one step per event from the stored (h, c), never by replaying a
 * window. An event after more than EPISODE_IDLE_MS of quiet starts from zero state, as the
 * model was trained.
 *
 * Flows do not step the LSTM (it was trained on honeypot and sshd events only): a flow gets
 * the current values and leaves the state as it is. Before any event the values are 0, the
 * zero state the LSTM starts every episode from.
 */
export interface SequenceState {
  readonly h: readonly number[];
  readonly c: readonly number[];
  /** Time of the latest event seen (the largest, if events came out of order). */
  readonly lastTs: number | null;
}

export const SEQUENCE_SLOTS: readonly number[] = Object.freeze([85, 86, 87, 88, 89]);

export function initialSequenceState(units: number): SequenceState {
  return { ...zeroLstmState(units), lastTs: null };
}

/** The state after one more event of the source: the one step the group and the training script share. */
export function advanceSequence(lstm: LstmWeights, state: SequenceState, event: SecurityEvent): SequenceState {
  const x = encodeSequenceStep(event, state.lastTs);
  const from = isEpisodeStart(state.lastTs, event.ts) ? zeroLstmState(lstm.units) : state;
  const next = lstmStep(lstm, from, x);
  return { h: next.h, c: next.c, lastTs: state.lastTs === null ? event.ts : Math.max(state.lastTs, event.ts) };
}

export function createSequenceGroup(model: Pick<SequenceModel, 'lstm' | 'featureUnits'>): FeatureGroup<SequenceState, BehavioralEvent> {
  const { lstm, featureUnits } = model;
  if (featureUnits.length !== SEQUENCE_FEATURE_UNITS || featureUnits.some((u) => !Number.isInteger(u) || u < 0 || u >= lstm.units)) {
    throw new ConfigError(`createSequenceGroup: featureUnits must be ${SEQUENCE_FEATURE_UNITS} unit indices below ${lstm.units}, got [${featureUnits.join(', ')}]`);
  }
  const values = (s: SequenceState): number[] => featureUnits.map((u) => s.h[u]!);
  return {
    name: 'sequence_lstm',
    slots: SEQUENCE_SLOTS,
    scope: 'source',
    init: () => initialSequenceState(lstm.units),
    step(state, event) {
      const next = isSecurityEvent(event) ? advanceSequence(lstm, state, event) : state;
      return { state: next, values: values(next) };
    },
  };
}
