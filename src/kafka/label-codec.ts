/**
 * Labels: the ground truth the training collector joins to events by `event_key`, from an
 * analyst, the review council or a labelled dataset. One set of rules (LabelFields) checks a
 * label whether it is read from JSON or Avro (schemas/label.avsc) or about to be produced.
 */
import { loadAvroSchema } from '../events/avro-schema.js';
import { z } from 'zod';
import { THREAT_CLASSES, type ThreatClass } from '../events/threat-classes.js';
import { parseIsoTimestamp } from '../sources/field-parsers.js';
import type { Decoded, Decoder, RawRecord } from '../sources/record.js';
import { KafkaEncodeError } from './errors.js';
import type { ValueFormat } from './settings.js';
import { createAvroDecoder, createValueEncoder } from './value-codec.js';

export const LABEL_SOURCES = ['analyst', 'council', 'dataset'] as const;
export type LabelSource = (typeof LABEL_SOURCES)[number];

/** A label as it travels; the shape of schemas/label.avsc. */
export interface Label {
  /** eventId of the labelled event (a verdict's eventKey). */
  event_key: string;
  label: ThreatClass;
  source: LabelSource;
  /** When the label was given, epoch ms UTC. */
  ts: number;
  /** The labeller's confidence that the event is a threat, 0..1, or null. */
  threat_score: number | null;
}

/** A label as producers write it: threat_score may be left out. */
export type LabelInput = Omit<Label, 'threat_score'> & { threat_score?: number | null };

export const LabelType = loadAvroSchema('label.avsc');

const LabelFields = z.object({
  event_key: z.string().min(1, { error: 'must name the labelled event' }),
  label: z.enum(THREAT_CLASSES),
  source: z.enum(LABEL_SOURCES),
  // JSON producers may write an ISO-8601 time, as for flows; it becomes epoch ms.
  ts: z.union([
    z.number().int().nonnegative(),
    z.string().transform((text, ctx) => {
      const ms = parseIsoTimestamp(text);
      if (ms === undefined) ctx.addIssue({ code: 'custom', message: `"${text}" is neither epoch ms nor ISO-8601` });
      return ms ?? 0;
    }),
  ]),
  threat_score: z.number().min(0).max(1).nullable().optional(),
});

/** The first problems of a would-be label as "field: message", or the label itself. */
function checkLabel(value: unknown): { ok: true; label: Label } | { ok: false; problem: string } {
  const result = LabelFields.safeParse(value);
  if (!result.success) {
    const problem = result.error.issues
      .slice(0, 3)
      .map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`)
      .join('; ');
    return { ok: false, problem };
  }
  const { threat_score, ...rest } = result.data;
  return { ok: true, label: { ...rest, threat_score: threat_score ?? null } };
}

/** Labels to record values in `format`; a label breaking the rules throws a KafkaEncodeError. */
export function createLabelEncoder(format: ValueFormat): (label: LabelInput) => Buffer {
  const encode = createValueEncoder<Label>(LabelType, format, 'label');
  return (input) => {
    const checked = checkLabel(input);
    if (!checked.ok) throw new KafkaEncodeError(`label for ${JSON.stringify(input.event_key)} is invalid: ${checked.problem}`);
    return encode(checked.label);
  };
}

function createJsonLabelDecoder(): Decoder<Label> {
  return {
    format: 'json',
    decode(record: RawRecord): Decoded<Label> {
      const { position, readAt, text } = record;
      const bad = (reason: string): Decoded<Label> => ({ ok: false, position, reason, raw: text });
      let parsed: unknown;
      try {
        parsed = JSON.parse(text);
      } catch (err) {
        return bad(`bad-json: ${(err as Error).message}`);
      }
      const checked = checkLabel(parsed);
      return checked.ok ? { ok: true, value: checked.label, position, readAt } : bad(`bad-label: ${checked.problem}`);
    },
  };
}

export function createLabelDecoder(format: ValueFormat): Decoder<Label> {
  if (format.type === 'json') return createJsonLabelDecoder();
  return createAvroDecoder<Label>(LabelType, format, (label) => {
    const checked = checkLabel(label);
    return checked.ok ? undefined : `bad-label: ${checked.problem}`;
  });
}
