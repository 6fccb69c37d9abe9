/**
 * Flow events on Kafka: a decoder per wire format for the detect topology, and an encoder for
 * producers (replay tools, tests). JSON records go through the JSON-lines decoder, so a
 * record on a topic and a line in a file are read by the same rules.
 */
import { FlowEventType, KNOWN_PROTOCOLS, type FlowEvent } from '../events/flow-event.js';
import { isIpAddress, quote } from '../sources/field-parsers.js';
import { createJsonlDecoder } from '../sources/jsonl-flows.js';
import type { Decoder } from '../sources/record.js';
import type { ValueFormat } from './settings.js';
import { createAvroDecoder, createValueEncoder } from './value-codec.js';

const isPort = (n: number): boolean => Number.isInteger(n) && n >= 0 && n <= 65535;

/**
 * What the Avro schema cannot say about a flow and the JSON decoder checks: the same reason
 * codes ("unknown-protocol", "bad-port", "bad-ip"), so dead-letter counts compare across formats.
 */
export function flowEventProblem(event: FlowEvent): string | undefined {
  if (!KNOWN_PROTOCOLS.has(event.protocol)) return `unknown-protocol: protocol ${event.protocol}`;
  if (!isPort(event.srcPort)) return `bad-port: srcPort ${event.srcPort}`;
  if (!isPort(event.dstPort)) return `bad-port: dstPort ${event.dstPort}`;
  if (!isIpAddress(event.srcIp)) return `bad-ip: srcIp ${quote(event.srcIp)}`;
  if (!isIpAddress(event.dstIp)) return `bad-ip: dstIp ${quote(event.dstIp)}`;
  return undefined;
}

export function createKafkaFlowDecoder(format: ValueFormat): Decoder<FlowEvent> {
  return format.type === 'json' ? createJsonlDecoder() : createAvroDecoder<FlowEvent>(FlowEventType, format, flowEventProblem);
}

/**
 * Flow events to record values. JSON has no NaN: a missing feature is written as null, which
 * the decoder reads back as NaN.
 */
export function createFlowEncoder(format: ValueFormat): (event: FlowEvent) => Buffer {
  return createValueEncoder<FlowEvent>(FlowEventType, format, 'flow event');
}
