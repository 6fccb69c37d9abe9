import { THREAT_CLASSES, type ThreatClass } from '../events/threat-classes.js';
import type { Verdict } from '../events/verdict.js';
import { OfflineStoreError, type OfflineOperation } from './offline-errors.js';
import { RETRAIN_OUTCOMES, type EventRow, type FeatureVectorRow, type OfflineRows, type OfflineTable, type RetrainOutcome, type RetrainRun, type ScanRange, type TrainingSample } from './offline-store.js';

/**
 * The offline tables as data: their columns, which column is the key, and how a row
 * maps to column values and back. Both stores read this one description, so they accept and
 * return the same rows; each store only maps the column types to its own SQL and encoding,
 * and its migrations must create exactly these columns (a test compares them).
 */

/** Logical column types; each store maps them (ClickHouse: UInt64, Array(Float64), ...). */
export type ColumnType = 'string' | 'timestamp' | 'uint16' | 'uint64' | 'float64' | 'float64_array' | 'nullable_float64';

/** A value as stores decode it from a column, before it becomes part of a row. */
export type ColumnValue = string | number | number[] | null;

/** A value after validation, ready to encode: arrays may still be typed arrays. */
export type CheckedValue = string | number | ArrayLike<number> | null;

export interface ColumnSpec<Row> {
  readonly name: string;
  readonly type: ColumnType;
  /** Strings: must not be empty. */
  readonly nonEmpty?: boolean;
  /** Strings: the only values allowed. */
  readonly allowed?: readonly string[];
  /** Arrays: names of the slots, for messages. */
  readonly slotNames?: readonly string[];
  get(row: Row): unknown;
  /** A table-specific check after the type check: the problem, or undefined. */
  check?(value: CheckedValue, row: Row): string | undefined;
}

export interface TableSpec<Row> {
  readonly name: OfflineTable;
  readonly columns: readonly ColumnSpec<Row>[];
  /** The column `ScanRange.key` filters on; the first column of the sort key. */
  readonly keyColumn: string;
  /** Scans order by `ts_ms`, then these columns. */
  readonly tieBreakColumns: readonly string[];
  fromRecord(record: Readonly<Record<string, ColumnValue>>): Row;
}

export const TS_COLUMN = 'ts_ms';
const UINT16_MAX = 0xffff;
const KIND = /^[A-Za-z0-9_-]+$/;

const isJson = (value: CheckedValue): string | undefined => {
  try {
    JSON.parse(value as string);
    return undefined;
  } catch (error) {
    return `is not JSON text (${(error as Error).message})`;
  }
};

function probabilitiesOf(verdict: Verdict): (number | undefined)[] {
  const p = verdict.probabilities as Partial<Record<ThreatClass, number>> | undefined;
  return THREAT_CLASSES.map((c) => p?.[c]);
}

function probabilitiesRecord(values: number[]): Record<ThreatClass, number> {
  return Object.fromEntries(THREAT_CLASSES.map((c, i) => [c, values[i]])) as Record<ThreatClass, number>;
}

const onlyThreatClasses = (_: CheckedValue, verdict: Verdict): string | undefined => {
  const extra = Object.keys(verdict.probabilities).filter((k) => !(THREAT_CLASSES as readonly string[]).includes(k));
  return extra.length > 0 ? `has unknown classes ${extra.join(', ')}; expected exactly ${THREAT_CLASSES.join(', ')}` : undefined;
};

const num = (v: ColumnValue | undefined): number => v as number;
const str = (v: ColumnValue | undefined): string => v as string;
const arr = (v: ColumnValue | undefined): number[] => v as number[];

export const EVENTS: TableSpec<EventRow> = {
  name: 'events',
  keyColumn: 'key',
  tieBreakColumns: ['key', 'event_id'],
  columns: [
    { name: 'key', type: 'string', nonEmpty: true, get: (r) => r.key },
    { name: TS_COLUMN, type: 'timestamp', get: (r) => r.ts },
    { name: 'event_id', type: 'string', nonEmpty: true, get: (r) => r.eventId },
    {
      name: 'kind', type: 'string', nonEmpty: true, get: (r) => r.kind,
      check: (v) => (KIND.test(v as string) ? undefined : 'must be letters, digits, _ and -'),
    },
    { name: 'payload', type: 'string', get: (r) => r.payload, check: isJson },
  ],
  fromRecord: (r) => ({ key: str(r.key), ts: num(r.ts_ms), eventId: str(r.event_id), kind: str(r.kind), payload: str(r.payload) }),
};

export const FEATURE_VECTORS: TableSpec<FeatureVectorRow> = {
  name: 'feature_vectors',
  keyColumn: 'key',
  tieBreakColumns: ['key', 'event_id'],
  columns: [
    { name: 'key', type: 'string', nonEmpty: true, get: (r) => r.key },
    { name: TS_COLUMN, type: 'timestamp', get: (r) => r.ts },
    { name: 'event_id', type: 'string', nonEmpty: true, get: (r) => r.eventId },
    { name: 'feature_version', type: 'uint16', get: (r) => r.featureVersion },
    { name: 'vector', type: 'float64_array', get: (r) => r.vector },
    { name: 'model_version', type: 'string', nonEmpty: true, get: (r) => r.modelVersion },
    { name: 'verdict_class', type: 'string', allowed: THREAT_CLASSES, get: (r) => r.verdictClass },
  ],
  fromRecord: (r) => ({
    key: str(r.key), ts: num(r.ts_ms), eventId: str(r.event_id), featureVersion: num(r.feature_version),
    vector: arr(r.vector), modelVersion: str(r.model_version), verdictClass: str(r.verdict_class) as ThreatClass,
  }),
};

export const VERDICTS: TableSpec<Verdict> = {
  name: 'verdicts',
  keyColumn: 'src_ip',
  tieBreakColumns: ['src_ip', 'event_key'],
  columns: [
    { name: 'src_ip', type: 'string', nonEmpty: true, get: (r) => r.srcIp },
    { name: TS_COLUMN, type: 'timestamp', get: (r) => r.ts },
    { name: 'event_key', type: 'string', nonEmpty: true, get: (r) => r.eventKey },
    { name: 'class', type: 'string', allowed: THREAT_CLASSES, get: (r) => r.class },
    // In THREAT_CLASSES order, like the model's output: the order is part of the schema.
    {
      name: 'probabilities', type: 'float64_array', slotNames: THREAT_CLASSES,
      get: (r) => (typeof r.probabilities === 'object' && r.probabilities !== null ? probabilitiesOf(r) : r.probabilities),
      check: onlyThreatClasses,
    },
    { name: 'model_version', type: 'string', nonEmpty: true, get: (r) => r.modelVersion },
    { name: 'feature_version', type: 'uint16', get: (r) => r.featureVersion },
    { name: 'latency_ms', type: 'float64', get: (r) => r.latencyMs },
    { name: 'scored_at_ms', type: 'timestamp', get: (r) => r.scoredAt },
  ],
  fromRecord: (r) => ({
    srcIp: str(r.src_ip), ts: num(r.ts_ms), eventKey: str(r.event_key), class: str(r.class) as ThreatClass,
    probabilities: probabilitiesRecord(arr(r.probabilities)), modelVersion: str(r.model_version),
    featureVersion: num(r.feature_version), latencyMs: num(r.latency_ms), scoredAt: num(r.scored_at_ms),
  }),
};

export const TRAINING_SAMPLES: TableSpec<TrainingSample> = {
  name: 'training_samples',
  keyColumn: 'event_key',
  tieBreakColumns: ['event_key'],
  columns: [
    { name: 'event_key', type: 'string', nonEmpty: true, get: (r) => r.eventKey },
    { name: TS_COLUMN, type: 'timestamp', get: (r) => r.ts },
    { name: 'features', type: 'float64_array', get: (r) => r.features },
    { name: 'label', type: 'string', allowed: THREAT_CLASSES, get: (r) => r.label },
    { name: 'ml_label', type: 'string', allowed: THREAT_CLASSES, get: (r) => r.mlLabel },
    { name: 'feature_version', type: 'uint16', get: (r) => r.featureVersion },
    { name: 'model_version', type: 'string', nonEmpty: true, get: (r) => r.modelVersion },
    { name: 'source', type: 'string', nonEmpty: true, get: (r) => r.source },
    { name: 'threat_score', type: 'nullable_float64', get: (r) => r.threatScore },
  ],
  fromRecord: (r) => ({
    eventKey: str(r.event_key), ts: num(r.ts_ms), features: arr(r.features), label: str(r.label) as ThreatClass,
    mlLabel: str(r.ml_label) as ThreatClass, featureVersion: num(r.feature_version), modelVersion: str(r.model_version),
    source: str(r.source), threatScore: r.threat_score === null ? null : num(r.threat_score),
  }),
};

/** A list of strings kept as one JSON text column: the reasons a retrain ran. */
const isStringList = (value: CheckedValue): string | undefined => {
  const notJson = isJson(value);
  if (notJson !== undefined) return notJson;
  const parsed: unknown = JSON.parse(value as string);
  return Array.isArray(parsed) && parsed.every((x) => typeof x === 'string') ? undefined : 'must be a JSON array of strings';
};

export const RETRAIN_RUNS: TableSpec<RetrainRun> = {
  name: 'retrain_runs',
  keyColumn: 'run_id',
  tieBreakColumns: ['run_id'],
  columns: [
    { name: 'run_id', type: 'string', nonEmpty: true, get: (r) => r.runId },
    { name: TS_COLUMN, type: 'timestamp', get: (r) => r.ts },
    { name: 'finished_at_ms', type: 'timestamp', get: (r) => r.finishedAt },
    { name: 'triggers', type: 'string', get: (r) => (Array.isArray(r.triggers) ? JSON.stringify(r.triggers) : r.triggers), check: isStringList },
    { name: 'base_rows', type: 'uint64', get: (r) => r.baseRows },
    { name: 'sample_rows', type: 'uint64', get: (r) => r.sampleRows },
    { name: 'candidate_version', type: 'string', nonEmpty: true, get: (r) => r.candidateVersion },
    // No parent is the empty string: Nullable(String) adds nothing a reader needs here.
    { name: 'parent_version', type: 'string', get: (r) => r.parentVersion ?? '' },
    { name: 'outcome', type: 'string', allowed: RETRAIN_OUTCOMES, get: (r) => r.outcome },
    { name: 'reason', type: 'string', get: (r) => r.reason },
    { name: 'holdout_rows', type: 'uint64', get: (r) => r.holdoutRows },
    { name: 'macro_f1', type: 'float64', get: (r) => r.macroF1 },
    { name: 'parent_macro_f1', type: 'nullable_float64', get: (r) => r.parentMacroF1 },
    { name: 'macro_f1_gain', type: 'nullable_float64', get: (r) => r.macroF1Gain },
    { name: 'benign_fpr', type: 'float64', get: (r) => r.benignFPR },
    // THREAT_CLASSES order, like verdict probabilities: the order is part of the schema.
    { name: 'class_precision', type: 'float64_array', slotNames: THREAT_CLASSES, get: (r) => r.precision },
    { name: 'class_recall', type: 'float64_array', slotNames: THREAT_CLASSES, get: (r) => r.recall },
    { name: 'class_f1', type: 'float64_array', slotNames: THREAT_CLASSES, get: (r) => r.f1 },
  ],
  fromRecord: (r) => ({
    runId: str(r.run_id), ts: num(r.ts_ms), finishedAt: num(r.finished_at_ms), triggers: JSON.parse(str(r.triggers)) as string[],
    baseRows: num(r.base_rows), sampleRows: num(r.sample_rows), candidateVersion: str(r.candidate_version),
    parentVersion: str(r.parent_version) === '' ? null : str(r.parent_version), outcome: str(r.outcome) as RetrainOutcome,
    reason: str(r.reason), holdoutRows: num(r.holdout_rows), macroF1: num(r.macro_f1),
    parentMacroF1: r.parent_macro_f1 === null ? null : num(r.parent_macro_f1),
    macroF1Gain: r.macro_f1_gain === null ? null : num(r.macro_f1_gain), benignFPR: num(r.benign_fpr),
    precision: arr(r.class_precision), recall: arr(r.class_recall), f1: arr(r.class_f1),
  }),
};

export const TABLE_SPECS: { readonly [T in OfflineTable]: TableSpec<OfflineRows[T]> } = {
  events: EVENTS,
  feature_vectors: FEATURE_VECTORS,
  verdicts: VERDICTS,
  training_samples: TRAINING_SAMPLES,
  retrain_runs: RETRAIN_RUNS,
};

export function tableSpec<T extends OfflineTable>(table: T, operation: OfflineOperation): TableSpec<OfflineRows[T]> {
  const spec = Object.hasOwn(TABLE_SPECS, table) ? TABLE_SPECS[table] : undefined;
  if (spec === undefined) {
    throw new OfflineStoreError(operation, `unknown table ${JSON.stringify(table)}; tables: ${Object.keys(TABLE_SPECS).join(', ')}`);
  }
  return spec;
}

const isTimestamp = (v: unknown): v is number => typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;

/** What is wrong with `value` as a `column` value, or undefined when it fits. */
function typeProblem<Row>(column: ColumnSpec<Row>, value: unknown): string | undefined {
  switch (column.type) {
    case 'string':
      if (typeof value !== 'string') return `is ${describe(value)}, expected a string`;
      if (column.nonEmpty && value.length === 0) return 'is empty';
      if (column.allowed && !column.allowed.includes(value)) return `is ${JSON.stringify(value)}, expected one of ${column.allowed.join(', ')}`;
      return undefined;
    case 'timestamp':
      return isTimestamp(value) ? undefined : `is ${describe(value)}, expected epoch ms (a non-negative safe integer)`;
    case 'uint64':
      return isTimestamp(value) ? undefined : `is ${describe(value)}, expected a count (a non-negative safe integer)`;
    case 'uint16':
      return Number.isInteger(value) && (value as number) >= 0 && (value as number) <= UINT16_MAX
        ? undefined
        : `is ${describe(value)}, expected an integer 0..${UINT16_MAX}`;
    case 'float64':
      return typeof value === 'number' && Number.isFinite(value) ? undefined : `is ${describe(value)}, expected a finite number`;
    case 'nullable_float64':
      return value === null || (typeof value === 'number' && Number.isFinite(value)) ? undefined : `is ${describe(value)}, expected a finite number or null`;
    case 'float64_array': {
      if (!isArrayLike(value)) return `is ${describe(value)}, expected an array of finite numbers`;
      if (value.length === 0) return 'is empty';
      for (let i = 0; i < value.length; i++) {
        const x = value[i];
        if (typeof x !== 'number' || !Number.isFinite(x)) {
          const slot = column.slotNames?.[i];
          return `[${i}]${slot === undefined ? '' : ` (${slot})`} is ${describe(x)}, expected a finite number`;
        }
      }
      return undefined;
    }
  }
}

function isArrayLike(value: unknown): value is ArrayLike<unknown> {
  return Array.isArray(value) || (ArrayBuffer.isView(value) && !(value instanceof DataView));
}

function describe(value: unknown): string {
  if (typeof value === 'number') return String(value);
  if (typeof value === 'string') return JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}...` : value);
  return value === null ? 'null' : typeof value;
}

/**
 * The column values of every row, in column order, after checking all of them: the first
 * bad value fails the whole batch with a non-retriable error naming row, column and problem.
 */
export function checkedValues<Row>(spec: TableSpec<Row>, rows: readonly Row[]): CheckedValue[][] {
  return rows.map((row, index) => {
    if (typeof row !== 'object' || row === null) {
      throw new OfflineStoreError('insert', `${spec.name} row ${index} is ${describe(row)}, expected an object`);
    }
    return spec.columns.map((column) => {
      const value = column.get(row);
      const problem = typeProblem(column, value) ?? column.check?.(value as CheckedValue, row);
      if (problem !== undefined) {
        const separator = problem.startsWith('[') ? '' : ' '; // vector[2] is NaN
        throw new OfflineStoreError('insert', `${spec.name} row ${index} ${column.name}${separator}${problem}`);
      }
      return value as CheckedValue;
    });
  });
}

/** Checks a scan or count range once, before any SQL is built from it. */
export function checkRange(range: ScanRange, operation: OfflineOperation): void {
  if (range.key !== undefined && typeof range.key !== 'string') {
    throw new OfflineStoreError(operation, `range.key is ${describe(range.key)}, expected a string`);
  }
  for (const bound of ['fromMs', 'toMs'] as const) {
    const v = range[bound];
    if (v !== undefined && !isTimestamp(v)) {
      throw new OfflineStoreError(operation, `range.${bound} is ${describe(v)}, expected epoch ms (a non-negative safe integer)`);
    }
  }
}

export function checkBatchSize(batchSize: number, operation: OfflineOperation): number {
  if (!Number.isSafeInteger(batchSize) || batchSize < 1) {
    throw new OfflineStoreError(operation, `batchSize is ${describe(batchSize)}, expected a positive integer`);
  }
  return batchSize;
}
