import { classIndex, classOfLabel, type ThreatClass } from '../events/threat-classes.js';
import type { FeaturePipeline } from '../features/pipeline.js';
import { featureLayout } from '../features/registry.js';
import { openEventSource, openFileSource, type InputEvent } from '../sources/file-source.js';
import { isSecurityEvent } from '../events/security-events.js';
import { ConfigError } from '../errors/vigil-error.js';
import { formatPosition } from '../sources/record.js';
import { flowVector } from '../vector/flow-vector.js';
import type { FlowEvent } from '../events/flow-event.js';
import type { DeadLetterSink } from '../stages/route-bad-input.js';
import { childLogger } from '../telemetry/logger.js';
import { openV2Pipeline, type V2PipelineOptions } from '../vector/v2/open-v2-pipeline.js';

/** Labelled feature rows, flat, as training and evaluation take them. */
export interface LabeledFlows {
  /** The feature version of the rows (features/registry.ts); `dims` is its layout's. */
  featureVersion: number;
  dims: number;
  rows: number;
  /** Raw sanitized features, rows × dims (NaN = missing); the model's transform comes later. */
  x: Float32Array;
  /** Class index into THREAT_CLASSES. */
  y: Int32Array;
  /** Event time, epoch ms. */
  ts: Float64Array;
  /**
   * Index of each row's source label in `labels` (e.g. "DoS Hulk"): finer than the class, so a
   * time-ordered split can keep every attack type on both sides (see stratifiedHoldout).
   */
  labelGroup: Int32Array;
  labels: string[];
  /** Rows skipped because they had no label or a label no class maps to, by label. */
  unlabeled: Record<string, number>;
  /** Rows that did not decode (sent to `deadLetters`). */
  bad: number;
  /** Where each row came from and which flow it is; only with `keepOrigins`. */
  origins?: FlowOrigin[];
}

/** A row's input position ("file:line") and the flow's endpoints, for reading errors back. */
export interface FlowOrigin {
  position: string;
  srcIp: string;
  srcPort: number;
  dstIp: string;
  dstPort: number;
  protocol: number;
}

export interface LoadOptions {
  /** Keep each row's FlowOrigin (memory: one small object per row). */
  keepOrigins?: boolean;
  /**
   * The feature version of the rows (default 1: the 79 flow features of each flow alone).
   * Version 2 steps every decoded event of the files (flows labelled or not, and the auth,
   * command and session events of Cowrie and sshd files), in the order given, through one
   * FeaturePipeline, as `vigil features` does: a row's features 80-100 are its source's state
   * at that event. Only labelled flows make rows.
   */
  featureVersion?: number;
  /** Version 2: the intel files and sequence model of the pipeline (defaults: the shared data, models/sequence-lstm). */
  v2?: V2PipelineOptions;
  /**
   * Version 2, training rows only: fold each row's label into the learning groups (feature
   * 83) as the outcome serving learns from a model's confident verdict, so the rows stand for
   * a stream scored by a model that is right. Rows that will be scored (evaluation, a
   * hold-out) must not: later rows would see labels of earlier ones. Default false.
   */
  labelsAsOutcomes?: boolean;
}

/** Rows of one feature version, event by event. */
interface RowWriter {
  /** Writes a labelled flow's row into `out` at `offset`. */
  row(event: FlowEvent, label: ThreatClass, out: Float32Array, offset: number): void;
  /** An event that makes no row (unlabelled, or not a flow): a stateful writer still steps it, as the stream had it. */
  skip(event: InputEvent): void;
}

const log = childLogger('datasets');

/**
 * The row writer of `featureVersion`. For version 2 the pipeline is made at the first event,
 * whose time chooses the Tor list (as `vigil features` does), and holds the state of every
 * source from then on.
 */
function rowWriter(featureVersion: number, options: V2PipelineOptions, labelsAsOutcomes: boolean): (first: InputEvent) => Promise<RowWriter> {
  if (featureVersion === 1) return async () => ({ row: (event, _label, out, offset) => void flowVector(event, out, offset), skip: () => undefined });
  if (featureVersion !== 2) throw new ConfigError(`loadLabeledFlows: cannot compute feature version ${featureVersion} rows`);
  return async (first) => {
    const { pipeline } = await openV2Pipeline({ eventTimeMs: first.ts, ...options }, (message) => log.warn(message));
    return v2RowWriter(pipeline, labelsAsOutcomes);
  };
}

/** Each event's vector and, for training rows, its label as the outcome feature 83 folds in after the pipeline's lag. */
function v2RowWriter(pipeline: FeaturePipeline, labelsAsOutcomes: boolean): RowWriter {
  return {
    row: (event, label, out, offset) => {
      out.set(pipeline.step(event), offset);
      if (labelsAsOutcomes) pipeline.observeOutcome(pipeline.stepped - 1, { srcIp: event.srcIp, isAttack: label !== 'normal', ts: event.ts });
    },
    skip: (event) => void pipeline.step(event),
  };
}

/** Growable flat buffers: rows arrive one by one from a stream of unknown length. */
class RowBuffer {
  x: Float32Array;
  y: Int32Array;
  ts: Float64Array;
  group: Int32Array;
  rows = 0;
  constructor(private readonly dims: number, capacity = 4096) {
    this.x = new Float32Array(capacity * dims);
    this.y = new Int32Array(capacity);
    this.ts = new Float64Array(capacity);
    this.group = new Int32Array(capacity);
  }
  /** Appends a row's label, time and group; returns the offset in `x` its vector goes to. */
  push(ts: number, label: number, group: number): number {
    if (this.rows === this.y.length) this.grow();
    this.y[this.rows] = label;
    this.ts[this.rows] = ts;
    this.group[this.rows] = group;
    this.rows += 1;
    return (this.rows - 1) * this.dims;
  }
  private grow(): void {
    const capacity = this.y.length * 2;
    const x = new Float32Array(capacity * this.dims);
    x.set(this.x);
    const y = new Int32Array(capacity);
    y.set(this.y);
    const ts = new Float64Array(capacity);
    ts.set(this.ts);
    const group = new Int32Array(capacity);
    group.set(this.group);
    Object.assign(this, { x, y, ts, group });
  }
}

/**
 * Reads labelled flows from files of any supported format through the same decoders as the
 * topologies, and the same vectorizer as the one that serves the feature version (v1: the
 * detect topology's; v2: the features topology's pipeline), so training sees exactly what
 * inference will see.
 */
export async function loadLabeledFlows(paths: readonly string[], deadLetters?: DeadLetterSink, options: LoadOptions = {}): Promise<LabeledFlows> {
  const featureVersion = options.featureVersion ?? 1;
  const dims = featureLayout(featureVersion).dims;
  const makeWriter = rowWriter(featureVersion, options.v2 ?? {}, options.labelsAsOutcomes === true);
  let write: RowWriter | undefined;
  const buffer = new RowBuffer(dims);
  const origins: FlowOrigin[] | undefined = options.keepOrigins ? [] : undefined;
  const unlabeled: Record<string, number> = {};
  const labels: string[] = [];
  const labelIds = new Map<string, number>();
  const labelId = (label: string): number => {
    let id = labelIds.get(label);
    if (id === undefined) {
      id = labels.push(label) - 1;
      labelIds.set(label, id);
    }
    return id;
  };
  let bad = 0;
  for (const path of paths) {
    // Version 2 also reads auth, command and session events (Cowrie, sshd): they feed the
    // behavioral features of later flows, as in the features topology, but make no row.
    const { source, decoder } = featureVersion === 1 ? await openFileSource(path) : await openEventSource(path);
    for await (const records of source.batches({ maxSize: 4096, maxWaitMs: 1000 })) {
      const badInBatch = [];
      for (const record of records) {
        const decoded = decoder.decode(record);
        if (!decoded.ok) {
          bad += 1;
          badInBatch.push(decoded);
          continue;
        }
        const e = decoded.value;
        write ??= await makeWriter(e);
        if (isSecurityEvent(e)) {
          write.skip(e);
          continue;
        }
        const label = e.label ?? '';
        const c = label ? classOfLabel(label) : undefined;
        if (c === undefined) {
          unlabeled[label || '(none)'] = (unlabeled[label || '(none)'] ?? 0) + 1;
          write.skip(e);
        } else {
          // push first: it may grow (replace) buffer.x.
          const offset = buffer.push(e.ts, classIndex(c), labelId(label.trim()));
          write.row(e, c, buffer.x, offset);
          origins?.push({ position: formatPosition(decoded.position), srcIp: e.srcIp, srcPort: e.srcPort, dstIp: e.dstIp, dstPort: e.dstPort, protocol: e.protocol });
        }
      }
      if (deadLetters && badInBatch.length) await deadLetters.write(badInBatch);
      const last = records.at(-1);
      if (last) source.markDurable(last.position);
    }
  }
  const n = buffer.rows;
  return {
    featureVersion,
    dims,
    rows: n,
    x: buffer.x.subarray(0, n * dims),
    y: buffer.y.subarray(0, n),
    ts: buffer.ts.subarray(0, n),
    labelGroup: buffer.group.subarray(0, n),
    labels,
    unlabeled,
    bad,
    ...(origins && { origins }),
  };
}
