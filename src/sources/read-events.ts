import type { FlowEvent } from '../events/flow-event.js';
import { openEventSource, openFileSource, type InputEvent, type OpenFileSourceOptions } from './file-source.js';
import { formatPosition, type Decoder, type RecordSource } from './record.js';

/**
 * A whole input decoded into memory, for tools that need every event at once (benches, the
 * feature-version comparison, tests), never for the streaming path: the events in file order,
 * and how many records did not decode. `limit` stops after that many events (0: all).
 */
export interface ReadEvents<E> {
  events: E[];
  /** Each event's input position ("file:line"), by index of `events`. */
  positions: string[];
  bad: number;
  format: string;
}

async function drain<E>(opened: { source: RecordSource & { close(): Promise<void> }; decoder: Decoder<E>; format: string }, limit: number): Promise<ReadEvents<E>> {
  const { source, decoder, format } = opened;
  const events: E[] = [];
  const positions: string[] = [];
  let bad = 0;
  try {
    for await (const records of source.batches({ maxSize: 4096, maxWaitMs: 1000 })) {
      for (const record of records) {
        const decoded = decoder.decode(record);
        if (decoded.ok) {
          events.push(decoded.value);
          positions.push(formatPosition(decoded.position));
        } else bad++;
      }
      if (limit > 0 && events.length >= limit) break;
    }
  } finally {
    await source.close();
  }
  if (limit > 0) return { events: events.slice(0, limit), positions: positions.slice(0, limit), bad, format };
  return { events, positions, bad, format };
}

/** Every event of `path` (flows, Cowrie, sshd), as `vigil features` decodes it. */
export function readEvents(path: string, options: OpenFileSourceOptions = {}, limit = 0): Promise<ReadEvents<InputEvent>> {
  return openEventSource(path, options).then((opened) => drain(opened, limit));
}

/** Every flow of `path`, as `vigil detect` decodes it (other events count as bad). */
export function readFlows(path: string, options: OpenFileSourceOptions = {}, limit = 0): Promise<ReadEvents<FlowEvent>> {
  return openFileSource(path, options).then((opened) => drain(opened, limit));
}
