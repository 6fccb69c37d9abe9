import type { SecurityEvent } from '../../events/security-events.js';

/**
 * How a security event becomes one input step of the sequence LSTM (features 85-89). The
 * training script and the per-event group both encode through here, and the model's manifest
 * records this version, the event types and the input names, so a model is only ever run on
 * the encoding it was trained on.
 *
 * One step is 14 numbers:
 *
 * 1. one-hot of the event type (SEQUENCE_EVENT_TYPES, 11);
 * 2. `episode_start`: 1 on the first event of an episode, else 0. An episode is a run of the
 *    source's events with no gap over EPISODE_IDLE_MS; the LSTM state starts from zeros at
 *    each episode, in training and when serving;
 * 3. `log_gap`: squashLog(seconds since the source's previous event), 0 at an episode start;
 * 4. `log_magnitude`: squashLog of a size that depends on the type: a command's length in
 *    characters, a closed session's duration in seconds, an auth event's attempts beyond the
 *    first (syslog "message repeated N times"); 0 for other types.
 */
export const SEQUENCE_ENCODING_VERSION = 1;

export const SEQUENCE_EVENT_TYPES = [
  'connect',
  'client_version',
  'closed',
  'auth_failure',
  'auth_success',
  'command_input',
  'command_failed',
  'tunnel',
  'tunnel_data',
  'download',
  'other',
] as const;
export type SequenceEventType = (typeof SEQUENCE_EVENT_TYPES)[number];

export const SEQUENCE_INPUT_NAMES: readonly string[] = Object.freeze([
  ...SEQUENCE_EVENT_TYPES.map((t) => `is_${t}`),
  'episode_start',
  'log_gap',
  'log_magnitude',
]);
export const SEQUENCE_INPUT_DIMS = SEQUENCE_INPUT_NAMES.length;

/** A source quiet for longer than this starts a new episode (fresh LSTM state). */
export const EPISODE_IDLE_MS = 30 * 60_000;

const TYPE_INDEX = new Map<string, number>(SEQUENCE_EVENT_TYPES.map((t, i) => [t, i]));
const START = SEQUENCE_EVENT_TYPES.length;

/** Index into SEQUENCE_EVENT_TYPES. */
export function sequenceEventType(event: SecurityEvent): number {
  switch (event.kind) {
    case 'auth':
      return event.outcome === 'success' ? 4 : 3;
    case 'command':
      return event.action === 'input' ? 5 : 6;
    case 'session':
      return TYPE_INDEX.get(event.phase) ?? START - 1;
  }
}

/**
 * ln(1 + v) / 8, clipped to [0, 1]: gaps and sizes span 1e-3 to 1e6 and matter by order of
 * magnitude; e^8 - 1 ~ 3000 (s or characters) is where differences stop mattering here.
 */
export function squashLog(v: number): number {
  return v > 0 ? Math.min(1, Math.log1p(v) / 8) : 0;
}

function magnitude(event: SecurityEvent): number {
  switch (event.kind) {
    case 'command':
      return event.input.length;
    case 'auth':
      return event.attempts - 1;
    case 'session':
      return event.phase === 'closed' && event.durationMs !== null ? event.durationMs / 1000 : 0;
  }
}

/** Whether `ts` opens a new episode after a source's previous event at `lastTs`. */
export function isEpisodeStart(lastTs: number | null, ts: number): boolean {
  return lastTs === null || ts - lastTs > EPISODE_IDLE_MS;
}

/**
 * The input step of `event`, given the time of the source's previous event (null for none).
 * Out-of-order events count as no gap.
 */
export function encodeSequenceStep(event: SecurityEvent, lastTs: number | null): number[] {
  const x = new Array<number>(SEQUENCE_INPUT_DIMS).fill(0);
  x[sequenceEventType(event)] = 1;
  if (isEpisodeStart(lastTs, event.ts)) x[START] = 1;
  else x[START + 1] = squashLog(Math.max(0, event.ts - lastTs!) / 1000);
  x[START + 2] = squashLog(magnitude(event));
  return x;
}
