import { ConfigError } from '../errors/vigil-error.js';
import { getJson } from './http-json.js';
import { IntelError } from './intel-errors.js';
import type { RemoteFetch } from './remote-lookup.js';

/**
 * IP reputation from an AbuseIPDB-style API (the APIv2 `check` endpoint): `GET
 * <baseUrl>/api/v2/check?ipAddress=<ip>&maxAgeInDays=<n>` with the API key in the `Key`
 * header, answering `{"data": {"abuseConfidenceScore": 0..100, ...}}`. The score is returned
 * in [0, 1] (divided by 100). Any service answering the same shape can stand in.
 */
export interface AbuseIpdbOptions {
  /** e.g. `https://api.abuseipdb.com`; tests point it at a local server. */
  baseUrl: string;
  apiKey: string;
  /** How far back the service looks at reports, 1-365 days. */
  maxAgeInDays?: number;
  /** Per request. */
  timeoutMs?: number;
  /** Wait after a 429 without Retry-After. */
  defaultRetryAfterMs?: number;
}

export const ABUSEIPDB_DEFAULTS = Object.freeze({ maxAgeInDays: 90, timeoutMs: 5_000, defaultRetryAfterMs: 60_000 });

export function abuseIpdbFetch(options: AbuseIpdbOptions): RemoteFetch {
  const { baseUrl, apiKey, maxAgeInDays, timeoutMs, defaultRetryAfterMs } = { ...ABUSEIPDB_DEFAULTS, ...options };
  if (!apiKey) throw new ConfigError('abuseIpdbFetch: apiKey is empty; set it from the service account (never commit it)');
  if (!Number.isInteger(maxAgeInDays) || maxAgeInDays < 1 || maxAgeInDays > 365) {
    throw new ConfigError(`abuseIpdbFetch: maxAgeInDays must be an integer in 1..365, got ${maxAgeInDays}`);
  }
  const endpoint = new URL('/api/v2/check', baseUrl);
  return async (ip, signal) => {
    const url = new URL(endpoint);
    url.searchParams.set('ipAddress', ip);
    url.searchParams.set('maxAgeInDays', String(maxAgeInDays));
    const body = await getJson('abuseipdb', url.href, { headers: { Key: apiKey }, timeoutMs, signal, defaultRetryAfterMs });
    if (body === undefined) return null;
    const score = (body as { data?: { abuseConfidenceScore?: unknown } }).data?.abuseConfidenceScore;
    if (typeof score !== 'number' || !(score >= 0 && score <= 100)) {
      throw new IntelError('abuseipdb', `answer for ${ip} has no abuseConfidenceScore in 0..100: ${JSON.stringify(body).slice(0, 200)}`);
    }
    return score / 100;
  };
}
