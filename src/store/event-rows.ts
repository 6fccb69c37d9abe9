import type { FlowEvent } from '../events/flow-event.js';
import { isSecurityEvent } from '../events/security-events.js';
import type { InputEvent } from '../sources/file-source.js';
import { parseExact, stringifyExact } from './exact-json.js';
import type { EventRow } from './offline-store.js';

/**
 * Events as the offline store's `events` table keeps them, for backfill: keyed by source IP,
 * the event itself as exact JSON (a flow's missing features stay NaN), so a replay decodes
 * the very event the stream saw and the pure feature functions give the same values.
 */
export const FLOW_EVENT_KIND = 'flow';

export function eventRow(event: InputEvent): EventRow {
  return {
    key: event.srcIp,
    ts: event.ts,
    eventId: event.eventId,
    kind: isSecurityEvent(event) ? event.kind : FLOW_EVENT_KIND,
    payload: stringifyExact(event),
  };
}

/** The event a row holds, or why the row holds none (a bad row is dead-lettered, not thrown). */
export function eventOfRow(payload: string, kind: string): { ok: true; event: InputEvent } | { ok: false; reason: string } {
  let value: unknown;
  try {
    value = parseExact(payload);
  } catch (error) {
    return { ok: false, reason: `payload is not JSON: ${(error as Error).message}` };
  }
  const e = value as Partial<FlowEvent> & { kind?: unknown };
  if (e === null || typeof e !== 'object' || typeof e.srcIp !== 'string' || typeof e.ts !== 'number' || typeof e.eventId !== 'string') {
    return { ok: false, reason: 'payload is not an event (srcIp, ts, eventId)' };
  }
  const payloadKind = typeof e.kind === 'string' ? e.kind : FLOW_EVENT_KIND;
  if (payloadKind !== kind) return { ok: false, reason: `row kind ${kind} but payload kind ${payloadKind}` };
  if (kind === FLOW_EVENT_KIND && (typeof e.features !== 'object' || e.features === null)) {
    return { ok: false, reason: 'flow payload has no features' };
  }
  return { ok: true, event: value as InputEvent };
}
