import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { THREAT_CLASSES } from '../events/threat-classes.js';
import type { EvaluationReport } from '../evaluation/metrics.js';
import type { RuleViolation } from './promotion-rule.js';
import { RegistryError } from './registry-error.js';
import { VERSION_STATUSES, type VersionStatus } from './version-status.js';

/**
 * What the registry knows about a version beyond its manifest, kept in a sidecar
 * `models/<version>/registry.json`. A sidecar rather than new manifest fields: the manifest
 * is what loadModel verifies and older manifests must keep loading unchanged; a version
 * without a sidecar is simply a candidate nobody has judged yet.
 */
export const RECORD_FILE = 'registry.json';
export const RECORD_FORMAT = 1;

const ClassMetricsSchema = z.object({ precision: z.number(), recall: z.number(), f1: z.number(), support: z.number() });

/** The `vigil evaluate --json` contract, checked where the registry reads one. */
export const EvaluationReportSchema = z.object({
  model: z.string(),
  rows: z.number().int().nonnegative(),
  macroF1: z.number().min(0).max(1),
  benignFPR: z.number().min(0).max(1),
  perClass: z.record(z.enum(THREAT_CLASSES), ClassMetricsSchema),
  confusion: z.array(z.array(z.number())),
  classes: z.array(z.enum(THREAT_CLASSES)),
});

const TrainingDataSchema = z.object({
  /** sha256 over the bytes of every file in order (one file: that file's sha256). */
  sha256: z.string().regex(/^[0-9a-f]{64}$/),
  files: z.array(z.object({ path: z.string(), sha256: z.string().regex(/^[0-9a-f]{64}$/), bytes: z.number().int().nonnegative() })),
});

const StatusChangeSchema = z.object({
  at: z.string(),
  from: z.enum(VERSION_STATUSES),
  to: z.enum(VERSION_STATUSES),
  reason: z.string(),
  /** Set when `--force` overrode the promotion rule. */
  forced: z.boolean().optional(),
});

const RecordSchema = z.object({
  recordFormat: z.literal(RECORD_FORMAT),
  version: z.string().min(1),
  status: z.enum(VERSION_STATUSES),
  createdAt: z.string(),
  parent: z.string().nullable().optional(),
  trainingData: TrainingDataSchema.optional(),
  holdout: EvaluationReportSchema.optional(),
  // Violations are written by this code only; their shape is promotion-rule.ts's RuleViolation.
  rejection: z.object({ at: z.string(), reason: z.string(), violations: z.array(z.looseObject({ rule: z.string() })) }).optional(),
  history: z.array(StatusChangeSchema).default([]),
});

export type TrainingDataHash = z.infer<typeof TrainingDataSchema>;
export type StatusChange = z.infer<typeof StatusChangeSchema>;

export interface RegistryRecord {
  recordFormat: typeof RECORD_FORMAT;
  version: string;
  status: VersionStatus;
  createdAt: string;
  /** The version this one was trained to replace (the current one at training time). */
  parent?: string | null | undefined;
  trainingData?: TrainingDataHash | undefined;
  /** Hold-out evaluation (`vigil evaluate --json`), when measured. */
  holdout?: EvaluationReport | undefined;
  /** Why the promotion rule refused it, when it did. */
  rejection?: { at: string; reason: string; violations: RuleViolation[] } | undefined;
  /** Every status move, oldest first. */
  history: StatusChange[];
}

export function recordPath(versionDir: string): string {
  return join(versionDir, RECORD_FILE);
}

/** The sidecar of a version directory, or undefined when it has none. */
export function readRecord(versionDir: string): RegistryRecord | undefined {
  const path = recordPath(versionDir);
  if (!existsSync(path)) return undefined;
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(path, 'utf8'));
  } catch (err) {
    throw new RegistryError(`${path} is not valid JSON: ${(err as Error).message}`, { cause: err });
  }
  const parsed = RecordSchema.safeParse(raw);
  if (!parsed.success) throw new RegistryError(`${path} is not a registry record: ${z.prettifyError(parsed.error)}`);
  return parsed.data as RegistryRecord;
}

/** Writes the sidecar through a temp name and a rename, like the pointers. */
export function writeRecord(versionDir: string, record: RegistryRecord): void {
  const path = recordPath(versionDir);
  writeFileSync(`${path}.tmp`, JSON.stringify(record, null, 2) + '\n');
  renameSync(`${path}.tmp`, path);
}

/** Parses a `vigil evaluate --json` output; RegistryError naming what is wrong. */
export function parseEvaluationReport(raw: unknown, source: string): EvaluationReport {
  const parsed = EvaluationReportSchema.safeParse(raw);
  if (!parsed.success) throw new RegistryError(`${source} is not a \`vigil evaluate --json\` report: ${z.prettifyError(parsed.error)}`);
  return parsed.data as EvaluationReport;
}
