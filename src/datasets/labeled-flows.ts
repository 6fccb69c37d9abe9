import { FLOW_FEATURE_COUNT } from '../features/flow-features.js';
import { classIndex, classOfLabel } from '../events/threat-classes.js';
import { openFileSource } from '../sources/file-source.js';
import { formatPosition } from '../sources/record.js';
import { flowVector } from '../vector/flow-vector.js';
import type { FlowEvent } from '../events/flow-event.js';
import type { DeadLetterSink } from '../stages/route-bad-input.js';

/** Labelled feature rows, flat, as training and evaluation take them. */
export interface LabeledFlows {
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
  push(event: FlowEvent, label: number, group: number): void {
    if (this.rows === this.y.length) this.grow();
    flowVector(event, this.x, this.rows * this.dims);
    this.y[this.rows] = label;
    this.ts[this.rows] = event.ts;
    this.group[this.rows] = group;
    this.rows += 1;
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
 * Reads labelled flows from files of any supported format through the same decoders and
 * vectorizer as the detect topology, so training sees exactly what inference will see.
 */
export async function loadLabeledFlows(paths: readonly string[], deadLetters?: DeadLetterSink, options: LoadOptions = {}): Promise<LabeledFlows> {
  const buffer = new RowBuffer(FLOW_FEATURE_COUNT);
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
    const { source, decoder } = await openFileSource(path);
    for await (const records of source.batches({ maxSize: 4096, maxWaitMs: 1000 })) {
      const badInBatch = [];
      for (const record of records) {
        const decoded = decoder.decode(record);
        if (!decoded.ok) {
          bad += 1;
          badInBatch.push(decoded);
          continue;
        }
        const label = decoded.value.label ?? '';
        const c = label ? classOfLabel(label) : undefined;
        if (c === undefined) unlabeled[label || '(none)'] = (unlabeled[label || '(none)'] ?? 0) + 1;
        else {
          const e = decoded.value;
          buffer.push(e, classIndex(c), labelId(label.trim()));
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
    dims: FLOW_FEATURE_COUNT,
    rows: n,
    x: buffer.x.subarray(0, n * FLOW_FEATURE_COUNT),
    y: buffer.y.subarray(0, n),
    ts: buffer.ts.subarray(0, n),
    labelGroup: buffer.group.subarray(0, n),
    labels,
    unlabeled,
    bad,
    ...(origins && { origins }),
  };
}
