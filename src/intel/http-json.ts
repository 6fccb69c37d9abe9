import { IntelError, IntelRateLimitError } from './intel-errors.js';

/**
 * One GET of a JSON document from an intelligence service, with the service's HTTP answers
 * turned into typed errors once, here, so the filler reads flags, never status codes:
 *
 * | answer | result |
 * |---|---|
 * | 2xx with JSON | the parsed body |
 * | 404 | `undefined`: the service knows nothing about the key |
 * | 429 | IntelRateLimitError, after Retry-After (seconds or an HTTP date) |
 * | 5xx, timeout, connection failure | IntelError, retriable |
 * | other 4xx (401/403: a bad API key), a body that is not JSON | IntelError, not retriable |
 */
export interface GetJsonOptions {
  headers?: Record<string, string>;
  /** The whole request, connection to last byte. */
  timeoutMs: number;
  /** Cancels the request (the filler aborts in-flight requests on close). */
  signal?: AbortSignal;
  /** Wait after a 429 that carries no usable Retry-After. */
  defaultRetryAfterMs: number;
}

/** Retry-After as ms: delta-seconds or an HTTP date (RFC 9110 §10.2.3); undefined if absent or unreadable. */
export function parseRetryAfter(header: string | null, now: number): number | undefined {
  if (header === null || header.trim() === '') return undefined;
  const text = header.trim();
  if (/^\d+$/.test(text)) return Number(text) * 1000;
  const at = Date.parse(text);
  return Number.isFinite(at) ? Math.max(0, at - now) : undefined;
}

export async function getJson(provider: string, url: string, options: GetJsonOptions): Promise<unknown> {
  const signal = options.signal === undefined
    ? AbortSignal.timeout(options.timeoutMs)
    : AbortSignal.any([options.signal, AbortSignal.timeout(options.timeoutMs)]);
  let response: Response;
  let text: string;
  try {
    response = await fetch(url, { headers: { accept: 'application/json', ...options.headers }, signal });
    text = await response.text();
  } catch (error) {
    throw new IntelError(provider, `GET failed: ${(error as Error).message}`, { retriable: true, cause: error });
  }
  if (response.status === 404) return undefined;
  if (response.status === 429) {
    const wait = parseRetryAfter(response.headers.get('retry-after'), Date.now()) ?? options.defaultRetryAfterMs;
    throw new IntelRateLimitError(provider, wait);
  }
  if (!response.ok) {
    const retriable = response.status >= 500;
    throw new IntelError(provider, `GET answered ${response.status}: ${text.slice(0, 200)}`, { retriable });
  }
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    throw new IntelError(provider, `answer is not JSON: ${text.slice(0, 200)}`, { cause: error });
  }
}
