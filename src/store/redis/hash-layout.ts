import type { KeyState } from '../online-store.js';

/**
 * How a key's state sits in its Redis hash: each state field under its own name, and the
 * last applied offset of partition N under `@p:N` (state field names may not start with `@`,
 * see online-store.ts). Numbers are written with JavaScript's shortest round-trip form, so
 * they read back bit for bit.
 */
export const POSITION_FIELD_PREFIX = '@p:';

export function positionField(partition: number): string {
  return `${POSITION_FIELD_PREFIX}${partition}`;
}

/** The hash fields of a state, ready for HSET. */
export function encodeState(state: KeyState): Record<string, string> {
  const hash: Record<string, string> = {};
  for (const [name, value] of Object.entries(state.fields)) hash[name] = String(value);
  for (const [partition, offset] of Object.entries(state.positions)) hash[positionField(Number(partition))] = String(offset);
  return hash;
}

/** The state held in an HGETALL reply, or undefined for an empty reply (no such key). */
export function decodeState(hash: Record<string, string>): KeyState | undefined {
  const fields: Record<string, number> = {};
  const positions: Record<number, number> = {};
  let any = false;
  for (const [name, text] of Object.entries(hash)) {
    any = true;
    if (name.startsWith(POSITION_FIELD_PREFIX)) positions[Number(name.slice(POSITION_FIELD_PREFIX.length))] = Number(text);
    else fields[name] = Number(text);
  }
  return any ? { fields, positions } : undefined;
}
