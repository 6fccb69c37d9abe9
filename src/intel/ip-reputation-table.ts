import { boundedNumber, readFeedFile, type FeedContents, type FeedFormat } from './feed-file.js';
import { parseIpv4, parseIpv4Cidr, prefixMask } from './ipv4.js';
import type { KeyLookup } from './key-lookup.js';
import { ReloadableLookup } from './reloadable-file.js';

/**
 * IP reputation from a local feed: IPv4 addresses and CIDR networks (longest prefix wins, as
 * in routing: a /32 entry overrides the /24 around it), and IPv6 addresses matched exactly
 * (lower-cased; IPv6 networks are not supported). Scores are in [0, 1], 1 the worst.
 *
 * Lookup cost is one map probe per distinct prefix length present in the feed (at most 33),
 * whatever the feed's size.
 */
export class IpReputationTable implements KeyLookup {
  /** Per prefix length, longest first: network base → score. */
  readonly #networks: { prefix: number; mask: number; scores: Map<number, number> }[];
  readonly #ipv6: Map<string, number>;
  readonly size: number;

  constructor(entries: Iterable<readonly [string, number]>) {
    const byPrefix = new Map<number, Map<number, number>>();
    this.#ipv6 = new Map();
    let size = 0;
    for (const [key, score] of entries) {
      const cidr = parseIpv4Cidr(key);
      if (cidr === undefined) {
        this.#ipv6.set(key.toLowerCase(), score);
      } else {
        let scores = byPrefix.get(cidr.prefix);
        if (scores === undefined) byPrefix.set(cidr.prefix, (scores = new Map()));
        scores.set(cidr.base, score);
      }
      size++;
    }
    this.#networks = [...byPrefix]
      .sort(([a], [b]) => b - a)
      .map(([prefix, scores]) => ({ prefix, mask: prefixMask(prefix), scores }));
    this.size = size;
  }

  lookup(ip: string): number | undefined {
    const address = parseIpv4(ip);
    if (address === undefined) return this.#ipv6.get(ip.toLowerCase());
    for (const net of this.#networks) {
      const score = net.scores.get((address & net.mask) >>> 0);
      if (score !== undefined) return score;
    }
    return undefined;
  }
}

export interface IpReputationFeedOptions {
  /** Divide scores by this: 100 for feeds in AbuseIPDB's 0-100 confidence. */
  scoreScale?: number;
  /** JSON lines: field names of the address and the score. */
  keyField?: string;
  valueField?: string;
}

export const IP_REPUTATION_FEED_DEFAULTS = Object.freeze({ scoreScale: 1, keyField: 'ip', valueField: 'score' });

/** Hex digits, colons and dots with at least one colon: an IPv6 address, kept for exact matching. */
function looksLikeIpv6(raw: string): boolean {
  return raw.includes(':') && /^[0-9a-fA-F:.]+$/.test(raw);
}

function ipFeedFormat(options: IpReputationFeedOptions): FeedFormat {
  const { scoreScale, keyField, valueField } = { ...IP_REPUTATION_FEED_DEFAULTS, ...options };
  return {
    provider: 'ip-reputation-feed',
    keyField,
    valueField,
    parseKey: (raw) => (parseIpv4Cidr(raw) !== undefined || looksLikeIpv6(raw) ? raw : undefined),
    parseValue: (raw) => boundedNumber(raw, scoreScale, 0, 1),
  };
}

/** Reads an IP reputation feed file (format in feed-file.ts): `1.2.3.0/24,0.8` or `{"ip":"1.2.3.4","score":0.8}`. */
export async function readIpReputationFeed(path: string, options: IpReputationFeedOptions = {}): Promise<FeedContents & { table: IpReputationTable }> {
  const contents = await readFeedFile(path, ipFeedFormat(options));
  return { ...contents, table: new IpReputationTable(contents.entries) };
}

/** An IP reputation feed file as a reloadable lookup; `await feed.file.reload()` before the first lookup. */
export function ipReputationFeed(path: string, options: IpReputationFeedOptions = {}): ReloadableLookup<FeedContents & { table: IpReputationTable }> {
  return new ReloadableLookup(path, (p) => readIpReputationFeed(p, options));
}
