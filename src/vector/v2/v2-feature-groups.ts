import type { BehavioralGroupsOptions } from '../../features/behavioral/behavioral-groups.js';
import { createBehavioralGroups } from '../../features/behavioral/behavioral-groups.js';
import type { SequenceModel } from '../../features/behavioral/sequence-model.js';
import type { FeatureGroup } from '../../features/feature-group.js';
import { communicationGraphGroup, type CommunicationGraphOptions } from '../../features/graph/communication-graph.js';
import { destinationAsnChurnGroup } from '../../features/graph/destination-asn-churn.js';
import { distinctHostsGroup } from '../../features/graph/distinct-hosts.js';
import { portEntropyGroup } from '../../features/graph/port-entropy.js';
import type { SlidingWindowOptions } from '../../features/graph/sliding-window.js';
import type { FeaturePipelineGroups } from '../../features/pipeline.js';
import { asnReputationGroup } from '../../features/threat-intel/asn-reputation.js';
import { domainAgeGroup } from '../../features/threat-intel/domain-age.js';
import { externalThreatScoreGroup } from '../../features/threat-intel/external-threat-score.js';
import { ipReputationGroup } from '../../features/threat-intel/ip-reputation.js';
import type { ThreatIntelInput } from '../../features/threat-intel/threat-intel-input.js';
import { torExitGroup } from '../../features/threat-intel/tor-exit.js';
import type { FlowEvent } from '../../events/flow-event.js';
import { staticLookup, type KeyLookup } from '../../intel/key-lookup.js';

/**
 * What the groups of features 80-99 read besides events. Every intel source is optional: an
 * absent one makes its features follow their missing rules (81, 82, 83: -1; 84: 0; 98: every
 * source counts as one AS "none").
 */
export interface V2GroupResources {
  /** The behavioral LSTM and duration baseline (loadSequenceModel). Required: 85-89 and 93 need it. */
  sequenceModel: SequenceModel;
  /** IP -> AS (AsnTable.asnOf); features 83 and 98. */
  asnOf?: (ip: string) => number | undefined;
  /** Tor exit list (TorExitList); feature 84. */
  torList?: { has(ip: string): boolean };
  /** IP reputation provider; feature 81. */
  ipReputation?: KeyLookup;
  /** Domain -> registration time provider; feature 82. */
  domainRegistration?: KeyLookup;
  behavioral?: BehavioralGroupsOptions;
  /** Window of features 95, 98, 99 (and 96-97 unless `communication.window` is given). */
  window?: SlidingWindowOptions;
  communication?: CommunicationGraphOptions;
}

const KNOWS_NOTHING: KeyLookup = staticLookup([]);
const NO_ASN = (): undefined => undefined;
const NO_TOR_LIST = { has: (): boolean => false };

/** The groups of features 80-99 in slot order, ready for a FeaturePipeline. */
export function createV2FeatureGroups(r: V2GroupResources): FeaturePipelineGroups {
  const asnOf = r.asnOf ?? NO_ASN;
  const window = r.window;
  const threatIntel: FeatureGroup<unknown, ThreatIntelInput>[] = [
    externalThreatScoreGroup(),
    ipReputationGroup({ provider: r.ipReputation ?? KNOWS_NOTHING }),
    domainAgeGroup({ provider: r.domainRegistration ?? KNOWS_NOTHING }),
    asnReputationGroup({ asnOf }),
    torExitGroup({ list: r.torList ?? NO_TOR_LIST }),
  ] as FeatureGroup<unknown, ThreatIntelInput>[];
  const graph = [
    distinctHostsGroup({ window }),
    communicationGraphGroup({ window, ...r.communication }),
    destinationAsnChurnGroup({ window, asnOf }),
    portEntropyGroup({ window }),
  ] as FeatureGroup<unknown, FlowEvent>[];
  return { threatIntel, behavioral: createBehavioralGroups(r.sequenceModel, r.behavioral), graph };
}
