import avro from 'avsc';
import { loadAvroSchema } from './avro-schema.js';

/** A flow as vigil carries it; the shape of schemas/flow-event.avsc. */
export interface FlowEvent {
  eventId: string;
  srcIp: string;
  srcPort: number;
  dstIp: string;
  dstPort: number;
  protocol: number;
  /** Epoch milliseconds, UTC. */
  ts: number;
  /** Keyed by the names of schemas/flow-features-v1.json; NaN where the source lacked it. */
  features: Record<string, number>;
  label: string | null;
}

/** IANA protocol numbers a flow may carry; anything else is bad input. */
export const KNOWN_PROTOCOLS: ReadonlySet<number> = new Set([0, 1, 6, 17, 58]);
const PROTOCOL_NAMES: Record<string, number> = { hopopt: 0, icmp: 1, tcp: 6, udp: 17, 'ipv6-icmp': 58, icmpv6: 58 };

/** Protocol number from a number or a name ("tcp"), or undefined when unknown. */
export function parseProtocol(value: unknown): number | undefined {
  const n = typeof value === 'string' && !/^\d+$/.test(value.trim())
    ? PROTOCOL_NAMES[value.trim().toLowerCase()]
    : Number(value);
  return n !== undefined && KNOWN_PROTOCOLS.has(n) ? n : undefined;
}

export const FlowEventType = loadAvroSchema('flow-event.avsc');
export const VerdictType = loadAvroSchema('verdict.avsc');

/**
 * Why `value` does not fit `type`, as "path: expected type" for the first offending fields,
 * or undefined when it fits.
 */
export function schemaViolation(type: avro.Type, value: unknown): string | undefined {
  const problems: string[] = [];
  type.isValid(value, {
    errorHook(path: string[], any: unknown, t: avro.Type) {
      if (problems.length < 3) problems.push(`${path.join('.') || '(root)'}: ${JSON.stringify(any) ?? 'undefined'} is not ${t.typeName}`);
    },
  });
  return problems.length ? problems.join('; ') : undefined;
}
