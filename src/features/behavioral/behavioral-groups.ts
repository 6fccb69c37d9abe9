import type { BehavioralEvent } from '../../events/security-events.js';
import type { FeatureGroup } from '../feature-group.js';
import { createCommandEntropyGroup, type CommandEntropyOptions } from './command-entropy-group.js';
import { createFailedAuthGroup, type FailedAuthOptions } from './failed-auth-group.js';
import { createInputPatternGroup, type InputPatternOptions } from './input-pattern-group.js';
import { createSequenceGroup } from './sequence-group.js';
import type { SequenceModel } from './sequence-model.js';
import { createSessionDurationGroup, type SessionDurationOptions } from './session-duration-group.js';
import { createTimingRegularityGroup, type TimingRegularityOptions } from './timing-regularity-group.js';

/**
 * The behavioral feature groups, features 85-94 (schemas/features-v2/behavioral.json), each
 * keyed by source IP and fed that source's auth, command and session events and flows.
 */
export interface BehavioralGroupsOptions {
  commandEntropy?: CommandEntropyOptions;
  timingRegularity?: TimingRegularityOptions;
  inputPattern?: InputPatternOptions;
  /** The global baseline comes from the model unless given here. */
  sessionDuration?: Partial<SessionDurationOptions>;
  failedAuth?: FailedAuthOptions;
}

export const BEHAVIORAL_SLOTS: readonly number[] = Object.freeze([85, 86, 87, 88, 89, 90, 91, 92, 93, 94]);

/** The six groups in slot order; their slots together are exactly BEHAVIORAL_SLOTS. */
export function createBehavioralGroups(model: SequenceModel, options: BehavioralGroupsOptions = {}): FeatureGroup<unknown, BehavioralEvent>[] {
  const groups = [
    createSequenceGroup(model),
    createCommandEntropyGroup(options.commandEntropy),
    createTimingRegularityGroup(options.timingRegularity),
    createInputPatternGroup(options.inputPattern),
    createSessionDurationGroup({ baseline: model.sessionDurationBaseline, ...options.sessionDuration }),
    createFailedAuthGroup(options.failedAuth),
  ];
  return groups as FeatureGroup<unknown, BehavioralEvent>[];
}

