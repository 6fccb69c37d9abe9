import { getJson } from './http-json.js';
import { IntelError } from './intel-errors.js';
import type { RemoteFetch } from './remote-lookup.js';

/**
 * Domain registration time from an RDAP service (RFC 9082 query `GET <baseUrl>/domain/<name>`,
 * RFC 9083 answer): the `eventDate` of the event whose `eventAction` is `registration`, as
 * epoch ms. A 404, or an answer without a registration event, means the service does not
 * know (null, cached for the negative TTL). The caller passes the registered domain
 * (`example.com`), since RDAP servers answer for registrations, not for host names.
 */
export interface RdapDomainOptions {
  /** The RDAP base URL of the registry, e.g. `https://rdap.verisign.com/com/v1`. */
  baseUrl: string;
  timeoutMs?: number;
  defaultRetryAfterMs?: number;
  /** Extra request headers (some registries want an API key). */
  headers?: Record<string, string>;
}

export const RDAP_DOMAIN_DEFAULTS = Object.freeze({ timeoutMs: 5_000, defaultRetryAfterMs: 60_000 });

interface RdapEvent {
  eventAction?: unknown;
  eventDate?: unknown;
}

export function rdapRegistrationFetch(options: RdapDomainOptions): RemoteFetch {
  const { baseUrl, timeoutMs, defaultRetryAfterMs, headers } = { ...RDAP_DOMAIN_DEFAULTS, ...options };
  const base = baseUrl.endsWith('/') ? baseUrl : `${baseUrl}/`;
  return async (domain, signal) => {
    const url = new URL(`domain/${encodeURIComponent(domain)}`, base).href;
    const body = await getJson('rdap', url, { timeoutMs, signal, defaultRetryAfterMs, ...(headers ? { headers } : {}) });
    if (body === undefined) return null;
    const events = (body as { events?: unknown }).events;
    if (events !== undefined && !Array.isArray(events)) throw new IntelError('rdap', `answer for ${domain} has a non-array "events"`);
    const registration = (events as RdapEvent[] | undefined)?.find((e) => e.eventAction === 'registration');
    if (registration === undefined) return null;
    const at = typeof registration.eventDate === 'string' ? Date.parse(registration.eventDate) : Number.NaN;
    if (!Number.isFinite(at)) throw new IntelError('rdap', `registration eventDate of ${domain} is not a date: ${String(registration.eventDate)}`);
    return at;
  };
}
