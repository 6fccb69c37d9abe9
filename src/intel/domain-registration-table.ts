import { readFeedFile, type FeedContents, type FeedFormat } from './feed-file.js';
import type { KeyLookup } from './key-lookup.js';
import { ReloadableLookup } from './reloadable-file.js';

/**
 * Domain → registration time (epoch ms), the data domain age is computed from. The table
 * holds the registration date, not an age, so a cached answer never goes stale: the age is
 * taken at each event's own time (features/threat-intel/domain-age.ts).
 */

/** Lower case, without a trailing dot; undefined unless it looks like a DNS name with 2+ labels. */
export function normaliseDomain(name: string): string | undefined {
  const d = name.trim().toLowerCase().replace(/\.$/, '');
  return /^(?=.{1,253}$)([a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9])?\.)+[a-z0-9-]{2,63}$/.test(d) ? d : undefined;
}

/**
 * The name, then each parent down to two labels (`a.b.example.com`, `b.example.com`,
 * `example.com`): registries register the parent, and flows name hosts under it. Without a
 * public-suffix list this also tries `co.uk` for `x.co.uk`, which no feed lists as a domain.
 */
export function domainAndParents(domain: string): string[] {
  const labels = domain.split('.');
  const out: string[] = [];
  for (let i = 0; i + 2 <= labels.length; i++) out.push(labels.slice(i).join('.'));
  return out;
}

export class DomainRegistrationTable implements KeyLookup {
  readonly #registered: Map<string, number>;

  constructor(entries: Iterable<readonly [string, number]>) {
    this.#registered = new Map(entries);
  }

  get size(): number {
    return this.#registered.size;
  }

  /** Registration time of the domain or its nearest listed parent. */
  lookup(name: string): number | undefined {
    const domain = normaliseDomain(name);
    if (domain === undefined) return undefined;
    for (const candidate of domainAndParents(domain)) {
      const ts = this.#registered.get(candidate);
      if (ts !== undefined) return ts;
    }
    return undefined;
  }
}

/** An ISO-8601 date or time, or epoch ms (number or digits), as epoch ms. */
export function parseRegistrationTime(raw: unknown): number | undefined {
  if (typeof raw === 'number') return Number.isFinite(raw) ? raw : undefined;
  if (typeof raw !== 'string' || raw.trim() === '') return undefined;
  const text = raw.trim();
  const ms = /^\d+$/.test(text) ? Number(text) : Date.parse(text);
  return Number.isFinite(ms) ? ms : undefined;
}

export const DOMAIN_FEED_DEFAULTS = Object.freeze({ keyField: 'domain', valueField: 'registered' });

const domainFeedFormat = (options: { keyField?: string; valueField?: string }): FeedFormat => ({
  provider: 'domain-registration-feed',
  ...DOMAIN_FEED_DEFAULTS,
  ...options,
  parseKey: normaliseDomain,
  parseValue: parseRegistrationTime,
});

/** Reads a feed of `example.com,2019-04-01` or `{"domain":"example.com","registered":"2019-04-01"}` lines. */
export async function readDomainRegistrationFeed(
  path: string,
  options: { keyField?: string; valueField?: string } = {},
): Promise<FeedContents & { table: DomainRegistrationTable }> {
  const contents = await readFeedFile(path, domainFeedFormat(options));
  return { ...contents, table: new DomainRegistrationTable(contents.entries) };
}

/** A domain feed file as a reloadable lookup; `await feed.file.reload()` before the first lookup. */
export function domainRegistrationFeed(
  path: string,
  options: { keyField?: string; valueField?: string } = {},
): ReloadableLookup<FeedContents & { table: DomainRegistrationTable }> {
  return new ReloadableLookup(path, (p) => readDomainRegistrationFeed(p, options));
}
