/**
 * JSON text that gives back exactly the numbers it was given. Plain JSON cannot hold NaN, the
 * infinities or -0, which events (a flow's missing features are NaN) and feature states (an
 * empty mean, an unset minimum) may carry: JSON.stringify writes them as null or 0, and a
 * replayed event or a restored state would then compute other values than the original.
 * Here they travel as tagged strings; every other value is plain JSON.
 */
const TAG = '\u0000num:';

function replacer(_key: string, value: unknown): unknown {
  if (typeof value !== 'number') return value;
  if (Number.isNaN(value)) return `${TAG}NaN`;
  if (value === Infinity) return `${TAG}Infinity`;
  if (value === -Infinity) return `${TAG}-Infinity`;
  if (Object.is(value, -0)) return `${TAG}-0`;
  return value;
}

function reviver(_key: string, value: unknown): unknown {
  return typeof value === 'string' && value.startsWith(TAG) ? Number(value.slice(TAG.length)) : value;
}

export function stringifyExact(value: unknown): string {
  return JSON.stringify(value, replacer);
}

/** Parses text written by stringifyExact (or plain JSON); throws SyntaxError like JSON.parse. */
export function parseExact(text: string): unknown {
  return JSON.parse(text, reviver);
}
