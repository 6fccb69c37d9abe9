import { ConfigError, VigilError } from '../errors/vigil-error.js';
import type { FlowEvent } from '../events/flow-event.js';
import { isSecurityEvent, type BehavioralEvent, type SecurityEvent } from '../events/security-events.js';
import type { FeatureGroup, Outcome } from './feature-group.js';
import { FLOW_FEATURE_COUNT } from './flow-features.js';
import type { ThreatIntelInput } from './threat-intel/threat-intel-input.js';
import { V2_DIMS, writeV2FlowFeatures } from './vector-v2.js';

/** What the pipeline is fed: a flow, or an auth / command / session event. */
export type PipelineEvent = FlowEvent | SecurityEvent;

/** The groups of features 80-99, by the events they read. */
export interface FeaturePipelineGroups {
  /** Features 80-84: read `{ flow }`. */
  threatIntel: readonly FeatureGroup<unknown, ThreatIntelInput>[];
  /** Features 85-94: read security events and flows. */
  behavioral: readonly FeatureGroup<unknown, BehavioralEvent>[];
  /** Features 95-99: read flows only. */
  graph: readonly FeatureGroup<unknown, FlowEvent>[];
}

/**
 * Feature 100 (schemas/features-v2/ensemble.json) from features 1-99 of the same vector: the
 * share of ensemble members agreeing with the final class. Must be pure and give a number in
 * [0, 1].
 */
export type AgreementScore = (features99: Float64Array) => number;

/** Feature 100 with a single model or none: a one-member ensemble agrees with itself. */
export const SINGLE_MODEL_AGREEMENT = 1;

/**
 * The value of features 95-99 for a security event. Those groups read flows only, and a
 * security event is not one; 0 is what each of them gives for a source with no flow in the
 * window (95: no destination, 96/97: no neighbours, 98: no transition, 99: N = 0). Not the
 * source's last flow values: those were read at another time and would not age out of the
 * window the spec names.
 */
export const NO_FLOW_GRAPH_VALUE = 0;

/**
 * How long a source's states outlive its last event, in event time: a source quiet this long
 * starts afresh, as its Redis key would have expired (store/source-state-store.ts uses the
 * same hour). Deciding it at each step from event times, not when memory is swept, keeps the
 * vectors independent of batch boundaries and of which process held the source.
 */
export const SOURCE_STATE_TTL_MS = 60 * 60 * 1000;

/**
 * Outcomes (verdicts, labels) are folded into the learning groups a fixed number of steps
 * after the event they are about: the outcome of the i-th event stepped counts from step
 * i + outcomeLag on. Tying it to the step count, not to when the verdict happened to arrive,
 * makes the vectors independent of micro-batch boundaries (a replay cut into other batches
 * learns at the same steps), provided every outcome is known in time: a topology scoring
 * batches of at most outcomeLag events after featurizing them always is.
 */
export const OUTCOME_LAG_DEFAULT = 1024;

export interface FeaturePipelineOptions {
  groups: FeaturePipelineGroups;
  /** Default OUTCOME_LAG_DEFAULT. */
  outcomeLag?: number;
  /** Default SOURCE_STATE_TTL_MS. */
  sourceTtlMs?: number;
  /** Feature 100; default: the single-model rule, SINGLE_MODEL_AGREEMENT. */
  agreement?: AgreementScore;
}

type Route = 'threat-intel' | 'behavioral' | 'graph';

/** One group's place in the step, decided once at construction. */
interface Planned {
  group: FeatureGroup<unknown, never>;
  route: Route;
  scope: 'source' | 'global';
  /** Index into the source's or the global state array. */
  stateIndex: number;
  /** 0-based vector indexes of its slots. */
  offsets: readonly number[];
}

/** An outcome waiting for its step: `seq` is the step count of the event it is about. */
export interface PendingOutcome extends Outcome {
  readonly seq: number;
}

/** What a process checkpoints of the global side: group states, steps taken, outcomes not yet due. */
export interface GlobalCheckpoint {
  readonly states: readonly unknown[];
  readonly stepped: number;
  readonly pending: readonly PendingOutcome[];
}

/** Where `rewind` returns to: the pipeline as it was when `mark` was called. */
export interface PipelineMark {
  readonly id: number;
}

/** A source's group states as the pipeline holds them, and the time of its last event. */
export interface HeldSource {
  /** One state per source-scoped group, in plan order. */
  readonly states: readonly unknown[];
  /** Event time of the source's last event, epoch ms. */
  readonly lastTs: number;
}

/**
 * A flow-shaped view of a security event for the threat-intel groups, which read `{ flow }`
 * but only its source address and time (and the enrichment fields, absent here). SSH and
 * Telnet, the services Cowrie and sshd log, run over TCP (protocol 6); no flow features.
 */
export function intelFlowOf(event: SecurityEvent): FlowEvent {
  return {
    eventId: event.eventId,
    srcIp: event.srcIp,
    srcPort: event.srcPort ?? 0,
    dstIp: event.dstIp ?? '',
    dstPort: event.dstPort ?? 0,
    protocol: 6,
    ts: event.ts,
    features: {},
    label: null,
  };
}

/**
 * Feature version 2 for one event at a time: every group of features 80-99 stepped in slot
 * order, with their states held here, then feature 100. The same object runs in the
 * streaming topology (topologies/features.ts) and in a replay over an event list; given the
 * same events in the same order from fresh states it gives the same vectors (groups are pure
 * and read time only from events).
 *
 * One step, for an event keyed by its source IP:
 * 1. dims 1-79: a flow's sanitized features, or for a security event all missing; missing
 *    values are finite in v2 (min - 1, vector-v2.ts);
 * 2. threat-intel groups (80-84) step on `{ flow }` (a security event: intelFlowOf);
 * 3. behavioral groups (85-94) step on flows and security events alike;
 * 4. graph groups (95-99) step on flows; a security event gets NO_FLOW_GRAPH_VALUE;
 * 5. dim 100: `agreement` of dims 1-99.
 * Source-scoped states live in a Map by source IP (created on a source's first event, and
 * again after it was quiet for `sourceTtlMs`), global ones in one array. A group giving the wrong count or a non-finite value is a bug in
 * that group: step throws a VigilError naming it rather than emit a bad vector.
 */
export class FeaturePipeline {
  readonly #plan: readonly Planned[];
  readonly #agreement: AgreementScore;
  readonly #sourceGroups: readonly Planned[];
  readonly #sources = new Map<string, HeldSource>();
  #global: unknown[];
  /**
   * Which groups the states belong to, in order: a state snapshot taken under one layout is
   * only restored under the same one (store/source-state-store.ts).
   */
  readonly layout: string;
  readonly sourceTtlMs: number;
  readonly outcomeLag: number;
  /** Global groups that learn from outcomes. */
  readonly #learners: readonly Planned[];
  #stepped = 0;
  #pending: PendingOutcome[] = [];
  #marks = 0;
  /** Since the latest mark: the global side then, and each source's held state before its first change since. */
  #undo: { readonly id: number; readonly global: GlobalCheckpoint; readonly sources: Map<string, HeldSource | undefined> } | undefined;

  constructor(options: FeaturePipelineOptions) {
    const { groups } = options;
    const routed: [Route, readonly FeatureGroup<unknown, never>[]][] = [
      ['threat-intel', groups.threatIntel],
      ['behavioral', groups.behavioral],
      ['graph', groups.graph],
    ];
    let sourceCount = 0;
    let globalCount = 0;
    const plan: Planned[] = [];
    for (const [route, list] of routed) {
      for (const group of list) {
        const stateIndex = group.scope === 'source' ? sourceCount++ : globalCount++;
        plan.push({ group, route, scope: group.scope, stateIndex, offsets: group.slots.map((s) => s - 1) });
      }
    }
    checkSlots(plan);
    this.#plan = plan;
    this.#sourceGroups = plan.filter((p) => p.scope === 'source');
    this.#global = plan.filter((p) => p.scope === 'global').map((p) => p.group.init());
    this.#agreement = options.agreement ?? (() => SINGLE_MODEL_AGREEMENT);
    this.sourceTtlMs = options.sourceTtlMs ?? SOURCE_STATE_TTL_MS;
    this.outcomeLag = options.outcomeLag ?? OUTCOME_LAG_DEFAULT;
    if (!(Number.isSafeInteger(this.outcomeLag) && this.outcomeLag > 0)) throw new ConfigError(`FeaturePipeline: outcomeLag must be a positive integer, got ${this.outcomeLag}`);
    const learners = plan.filter((p) => p.group.observe !== undefined);
    const sourceLearner = learners.find((p) => p.scope === 'source');
    if (sourceLearner) throw new ConfigError(`FeaturePipeline: group ${sourceLearner.group.name} learns from outcomes but is source-scoped; only global groups may`);
    this.#learners = learners;
    if (!(this.sourceTtlMs > 0)) throw new ConfigError(`FeaturePipeline: sourceTtlMs must be positive, got ${this.sourceTtlMs}`);
    const names = (scope: 'source' | 'global'): string => plan.filter((p) => p.scope === scope).map((p) => p.group.name).join(',');
    this.layout = `v2;source=${names('source')};global=${names('global')}`;
  }

  /** The v2 vector of `event` (a new Float64Array of 100 finite numbers); advances the states. */
  step(event: PipelineEvent): Float64Array {
    this.#foldDueOutcomes();
    const out = new Float64Array(V2_DIMS);
    const flow = isSecurityEvent(event) ? null : event;
    writeV2FlowFeatures(flow, out);
    const intelInput: ThreatIntelInput = { flow: flow ?? intelFlowOf(event as SecurityEvent) };
    const held = this.#sources.get(event.srcIp);
    const previous = held !== undefined && event.ts - held.lastTs <= this.sourceTtlMs ? held : undefined;
    const sourceStates = previous ? previous.states.slice() : this.#sourceGroups.map((p) => p.group.init());
    const globalStates = this.#global.slice();
    for (const p of this.#plan) {
      if (p.route === 'graph' && flow === null) {
        for (const o of p.offsets) out[o] = NO_FLOW_GRAPH_VALUE;
        continue;
      }
      const input = p.route === 'threat-intel' ? intelInput : event;
      const states = p.scope === 'source' ? sourceStates : globalStates;
      const result = (p.group as FeatureGroup<unknown, unknown>).step(states[p.stateIndex], input);
      writeValues(p, result.values, out);
      states[p.stateIndex] = result.state;
    }
    const agreement = this.#agreement(out.subarray(0, V2_DIMS - 1));
    if (!(agreement >= 0 && agreement <= 1)) throw new VigilError(`FeaturePipeline: the agreement score (feature ${V2_DIMS}) gave ${agreement}, not a number in [0, 1]`);
    out[V2_DIMS - 1] = agreement;
    // States are replaced only once every group has stepped: a throwing group leaves them as they were.
    this.#logChange(event.srcIp);
    this.#sources.set(event.srcIp, { states: sourceStates, lastTs: Math.max(event.ts, previous?.lastTs ?? -Infinity) });
    this.#global = globalStates;
    this.#stepped++;
    return out;
  }

  /** Events stepped so far (since construction or the restored checkpoint): the next event's `seq`. */
  get stepped(): number {
    return this.#stepped;
  }

  /**
   * Records what became known about the event stepped as number `seq`; the learning groups
   * see it from step seq + outcomeLag on. Outcomes must come in seq order, for stepped events.
   */
  observeOutcome(seq: number, outcome: Outcome): void {
    const last = this.#pending.at(-1);
    if (!(Number.isSafeInteger(seq) && seq >= 0 && seq < this.#stepped) || (last !== undefined && seq < last.seq)) {
      throw new VigilError(`FeaturePipeline: outcome for step ${seq} out of order (stepped ${this.#stepped}, last pending ${last?.seq ?? 'none'})`);
    }
    if (this.#learners.length > 0) this.#pending.push({ ...outcome, seq });
  }

  #foldDueOutcomes(): void {
    let due = 0;
    while (due < this.#pending.length && this.#pending[due]!.seq + this.outcomeLag <= this.#stepped) due++;
    if (due === 0) return;
    const global = this.#global.slice();
    for (const outcome of this.#pending.slice(0, due)) {
      for (const p of this.#learners) global[p.stateIndex] = p.group.observe!(global[p.stateIndex], outcome);
    }
    this.#global = global;
    this.#pending = this.#pending.slice(due);
  }

  /** Vectors of `events` in order (a replay), as a list. */
  replay(events: Iterable<PipelineEvent>): Float64Array[] {
    const out: Float64Array[] = [];
    for (const e of events) out.push(this.step(e));
    return out;
  }

  /** Sources whose state is held in this process. */
  get sourceCount(): number {
    return this.#sources.size;
  }

  /** Whether the source's state is held here (else its first event starts it afresh). */
  holds(srcIp: string): boolean {
    return this.#sources.has(srcIp);
  }

  /** The held state of a source, for a store to save; its arrays must not be changed. */
  source(srcIp: string): HeldSource | undefined {
    return this.#sources.get(srcIp);
  }

  /**
   * Installs a source's states taken from a store (by a process that held it before: this
   * one before a restart, or another before a rebalance). The count must match this
   * pipeline's source-scoped groups; the caller checks the layout.
   */
  restore(srcIp: string, held: HeldSource): void {
    if (held.states.length !== this.#sourceGroups.length) {
      throw new VigilError(`FeaturePipeline: restoring ${srcIp} with ${held.states.length} group states; this pipeline has ${this.#sourceGroups.length}`);
    }
    this.#logChange(srcIp);
    this.#sources.set(srcIp, { states: held.states.slice(), lastTs: held.lastTs });
  }

  /**
   * Drops every held source state, returning the IPs: when other processes may have moved
   * them on (a rebalance), the store's copy is the one to continue from.
   */
  releaseAll(): string[] {
    const released = [...this.#sources.keys()];
    for (const ip of released) this.#logChange(ip);
    this.#sources.clear();
    return released;
  }

  /**
   * Drops the held states of sources whose last event is older than `idleMs` before
   * `nowTs` (event time), returning their IPs. Memory then grows with the sources active in
   * the window, not with every source ever seen; a store keeps the dropped states, and a
   * source that comes back is restored from it.
   */
  evictIdle(nowTs: number, idleMs: number): string[] {
    const evicted: string[] = [];
    for (const [ip, held] of this.#sources) {
      if (nowTs - held.lastTs > idleMs) {
        this.#logChange(ip);
        this.#sources.delete(ip);
        evicted.push(ip);
      }
    }
    return evicted;
  }

  /**
   * Drops a source's held states (its store keeps them): for a process that no longer owns
   * the source, e.g. after its partition moved to another instance.
   */
  forget(srcIp: string): boolean {
    this.#logChange(srcIp);
    return this.#sources.delete(srcIp);
  }

  /** Before a source's held state changes (stepped, restored, dropped): its state at the mark, once. */
  #logChange(srcIp: string): void {
    const undo = this.#undo;
    if (undo !== undefined && !undo.sources.has(srcIp)) undo.sources.set(srcIp, this.#sources.get(srcIp));
  }

  /** The global side (e.g. the communication graph, outcomes not yet due), for a checkpoint. */
  globalCheckpoint(): GlobalCheckpoint {
    // States are immutable (groups return new ones); the pending list is appended to in place.
    return { states: this.#global, stepped: this.#stepped, pending: this.#pending.slice() };
  }

  /**
   * Remembers the pipeline as it is now, for `rewind`, without copying the states held: global
   * states are persistent values, and a source's state is logged when it first changes after
   * the mark (its cost: a copy of the outcomes not yet due, at most outcomeLag + a batch). One
   * mark at a time: a new one replaces the last.
   */
  mark(): PipelineMark {
    const id = ++this.#marks;
    this.#undo = { id, global: this.globalCheckpoint(), sources: new Map() };
    return { id };
  }

  /**
   * Undoes everything since `mark` (the latest one): the global side returns to it, and every
   * source whose held state changed since (stepped, restored, evicted, forgotten, released) is held as
   * it was then, or not at all if it was not held then. Returns the IPs of those sources. For
   * events that will be stepped again: a batch whose results were discarded and whose records
   * come back, maybe after other records than in the first attempt.
   */
  rewind(mark: PipelineMark): string[] {
    const undo = this.#undo;
    if (undo === undefined || undo.id !== mark.id) throw new VigilError(`FeaturePipeline: rewind to mark ${mark.id}, which is not the latest (${undo?.id ?? 'none'})`);
    this.#undo = undefined;
    this.restoreGlobal(undo.global);
    for (const [ip, before] of undo.sources) {
      if (before === undefined) this.#sources.delete(ip);
      else this.#sources.set(ip, before);
    }
    return [...undo.sources.keys()];
  }

  /** Installs a global checkpoint taken under the same layout. */
  restoreGlobal(checkpoint: GlobalCheckpoint): void {
    if (checkpoint.states.length !== this.#global.length) {
      throw new VigilError(`FeaturePipeline: restoring ${checkpoint.states.length} global group states; this pipeline has ${this.#global.length}`);
    }
    this.#global = checkpoint.states.slice();
    this.#stepped = checkpoint.stepped;
    this.#pending = checkpoint.pending.slice();
  }
}

function writeValues(p: Planned, values: readonly number[], out: Float64Array): void {
  if (values.length !== p.offsets.length) {
    throw new VigilError(`FeaturePipeline: group ${p.group.name} gave ${values.length} values for ${p.offsets.length} slots`);
  }
  p.offsets.forEach((o, i) => {
    const v = values[i]!;
    if (!Number.isFinite(v)) throw new VigilError(`FeaturePipeline: group ${p.group.name} gave ${v} for feature ${o + 1}; every value must be finite`);
    out[o] = v;
  });
}

/** The groups must fill features 80-99 exactly once each (100 is the agreement score). */
function checkSlots(plan: readonly Planned[]): void {
  const owner = new Map<number, string>();
  for (const p of plan) {
    for (const o of p.offsets) {
      const slot = o + 1;
      const taken = owner.get(slot);
      if (taken !== undefined) throw new ConfigError(`FeaturePipeline: feature ${slot} is filled by both ${taken} and ${p.group.name}`);
      if (slot <= FLOW_FEATURE_COUNT || slot >= V2_DIMS) throw new ConfigError(`FeaturePipeline: group ${p.group.name} claims feature ${slot}; groups fill ${FLOW_FEATURE_COUNT + 1}-${V2_DIMS - 1}`);
      owner.set(slot, p.group.name);
    }
  }
  const missing: number[] = [];
  for (let slot = FLOW_FEATURE_COUNT + 1; slot < V2_DIMS; slot++) if (!owner.has(slot)) missing.push(slot);
  if (missing.length > 0) throw new ConfigError(`FeaturePipeline: no group fills feature(s) ${missing.join(', ')}`);
}
