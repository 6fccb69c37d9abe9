import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import { FeedFileError } from './intel-errors.js';
import { formatIpv4, isNonPublicIpv4, parseIpv4 } from './ipv4.js';

/**
 * IPv4 address → autonomous system (number and organisation), from a CSV of inclusive ranges
 * `ip_range_start,ip_range_end,asn,org` without a header, as @ip-location-db/asn publishes
 * it (../shared/data/threat_intel/asn/asn-ipv4.csv, CC BY 4.0: RouteViews, NRO, DB-IP).
 *
 * The ranges are kept as three parallel typed arrays sorted by start (12 bytes a range, plus
 * the organisation names once each), and an address is found by binary search for the last
 * range starting at or before it: about 19 probes for 412k ranges.
 *
 * Bad rows are skipped and counted by reason, since the publisher warns that some rows are
 * wrong: a malformed address or ASN, a range that ends before it starts, or a range that
 * overlaps the range before it (the later of two overlapping rows is dropped, so the search
 * stays unambiguous).
 */
export type AsnBadRowReason = 'columns' | 'address' | 'asn' | 'reversed' | 'overlap';

export interface AsnLoadReport {
  readonly ranges: number;
  readonly badRows: number;
  readonly badByReason: Readonly<Record<AsnBadRowReason, number>>;
  /** The first few bad rows, as `<where>: <reason>: <text>`. */
  readonly badExamples: readonly string[];
}

export interface AsnInfo {
  readonly asn: number;
  readonly org: string;
}

const MAX_EXAMPLES = 5;

/** Parses `start,end,asn,org` (org possibly quoted, with `""` escapes); a reason string when bad. */
function parseRow(line: string): { start: number; end: number; asn: number; org: string } | AsnBadRowReason {
  const c1 = line.indexOf(',');
  const c2 = c1 < 0 ? -1 : line.indexOf(',', c1 + 1);
  if (c2 < 0) return 'columns';
  const c3 = line.indexOf(',', c2 + 1);
  const start = parseIpv4(line.slice(0, c1));
  const end = parseIpv4(line.slice(c1 + 1, c2));
  if (start === undefined || end === undefined) return 'address';
  const asnText = line.slice(c2 + 1, c3 < 0 ? undefined : c3);
  if (!/^\d{1,10}$/.test(asnText)) return 'asn';
  const asn = Number(asnText);
  if (asn > 0xffffffff) return 'asn';
  if (end < start) return 'reversed';
  let org = c3 < 0 ? '' : line.slice(c3 + 1);
  if (org.startsWith('"') && org.endsWith('"') && org.length >= 2) org = org.slice(1, -1).replaceAll('""', '"');
  return { start, end, asn, org };
}

/** Accumulates rows in growable typed arrays; `build` sorts, drops overlaps and compacts. */
class AsnTableBuilder {
  #starts = new Uint32Array(1 << 16);
  #ends = new Uint32Array(1 << 16);
  #asns = new Uint32Array(1 << 16);
  #orgIndexes = new Uint32Array(1 << 16);
  #count = 0;
  #sorted = true;
  readonly #orgs: string[] = [];
  readonly #orgIndex = new Map<string, number>();
  readonly #bad: Record<AsnBadRowReason, number> = { columns: 0, address: 0, asn: 0, reversed: 0, overlap: 0 };
  readonly #examples: string[] = [];
  #lineNumber = 0;

  addLine(line: string): void {
    this.#lineNumber++;
    if (line.length === 0) return;
    const row = parseRow(line);
    if (typeof row === 'string') {
      this.#reject(row, `line ${this.#lineNumber}`, line);
      return;
    }
    if (this.#count === this.#starts.length) this.#grow();
    const i = this.#count++;
    if (i > 0 && row.start < this.#starts[i - 1]!) this.#sorted = false;
    this.#starts[i] = row.start;
    this.#ends[i] = row.end;
    this.#asns[i] = row.asn;
    let org = this.#orgIndex.get(row.org);
    if (org === undefined) {
      org = this.#orgs.push(row.org) - 1;
      this.#orgIndex.set(row.org, org);
    }
    this.#orgIndexes[i] = org;
  }

  #reject(reason: AsnBadRowReason, where: string, text: string): void {
    this.#bad[reason]++;
    if (this.#examples.length < MAX_EXAMPLES) this.#examples.push(`${where}: ${reason}: ${text.slice(0, 120)}`);
  }

  #grow(): void {
    const grow = (a: Uint32Array) => {
      const b = new Uint32Array(a.length * 2);
      b.set(a);
      return b;
    };
    this.#starts = grow(this.#starts);
    this.#ends = grow(this.#ends);
    this.#asns = grow(this.#asns);
    this.#orgIndexes = grow(this.#orgIndexes);
  }

  build(): AsnTable {
    const n = this.#count;
    const order = Array.from({ length: n }, (_, i) => i);
    if (!this.#sorted) order.sort((a, b) => this.#starts[a]! - this.#starts[b]!);
    const starts = new Uint32Array(n);
    const ends = new Uint32Array(n);
    const asns = new Uint32Array(n);
    const orgIndexes = new Uint32Array(n);
    let kept = 0;
    let lastEnd = -1;
    for (const i of order) {
      if (this.#starts[i]! <= lastEnd) {
        const text = `${formatIpv4(this.#starts[i]!)}-${formatIpv4(this.#ends[i]!)} AS${this.#asns[i]} overlaps the range ending at ${formatIpv4(lastEnd)}`;
        this.#reject('overlap', `valid row ${i + 1}`, text);
        continue;
      }
      starts[kept] = this.#starts[i]!;
      ends[kept] = this.#ends[i]!;
      asns[kept] = this.#asns[i]!;
      orgIndexes[kept] = this.#orgIndexes[i]!;
      lastEnd = this.#ends[i]!;
      kept++;
    }
    const badRows = Object.values(this.#bad).reduce((a, b) => a + b, 0);
    const report: AsnLoadReport = { ranges: kept, badRows, badByReason: { ...this.#bad }, badExamples: [...this.#examples] };
    return new AsnTable(starts.slice(0, kept), ends.slice(0, kept), asns.slice(0, kept), orgIndexes.slice(0, kept), this.#orgs, report);
  }
}

export class AsnTable {
  readonly #starts: Uint32Array;
  readonly #ends: Uint32Array;
  readonly #asns: Uint32Array;
  readonly #orgIndexes: Uint32Array;
  readonly #orgs: readonly string[];
  readonly report: AsnLoadReport;

  /** Use `AsnTable.load` or `AsnTable.fromLines`. */
  constructor(starts: Uint32Array, ends: Uint32Array, asns: Uint32Array, orgIndexes: Uint32Array, orgs: readonly string[], report: AsnLoadReport) {
    this.#starts = starts;
    this.#ends = ends;
    this.#asns = asns;
    this.#orgIndexes = orgIndexes;
    this.#orgs = orgs;
    this.report = report;
  }

  /** Reads the CSV, streamed line by line. Throws FeedFileError if it cannot be read or holds no valid row. */
  static async load(path: string): Promise<AsnTable> {
    const builder = new AsnTableBuilder();
    const lines = createInterface({ input: createReadStream(path, { encoding: 'utf8' }), crlfDelay: Infinity });
    try {
      for await (const line of lines) builder.addLine(line);
    } catch (error) {
      throw new FeedFileError('asn-table', path, `cannot read: ${(error as Error).message}`, { cause: error });
    }
    const table = builder.build();
    if (table.size === 0) throw new FeedFileError('asn-table', path, `no valid row (${table.report.badRows} bad)`);
    return table;
  }

  static fromLines(lines: Iterable<string>): AsnTable {
    const builder = new AsnTableBuilder();
    for (const line of lines) builder.addLine(line);
    return builder.build();
  }

  get size(): number {
    return this.#starts.length;
  }

  /** Index of the range holding `address`, or -1. */
  #find(address: number): number {
    let lo = 0;
    let hi = this.#starts.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      if (this.#starts[mid]! <= address) lo = mid + 1;
      else hi = mid - 1;
    }
    // hi is now the last range starting at or before the address.
    return hi >= 0 && address <= this.#ends[hi]! ? hi : -1;
  }

  /** The AS of an IPv4 address, or undefined when no range holds it (or it is not IPv4). */
  lookup(ip: string): AsnInfo | undefined {
    const address = parseIpv4(ip);
    const i = address === undefined ? -1 : this.#find(address);
    return i < 0 ? undefined : { asn: this.#asns[i]!, org: this.#orgs[this.#orgIndexes[i]!]! };
  }

  /**
   * The AS number of a publicly routed IPv4 address; undefined for private and special
   * ranges, unknown addresses, IPv6, and AS 0 (which marks unannounced space, not an AS).
   */
  asnOf(ip: string): number | undefined {
    const address = parseIpv4(ip);
    if (address === undefined || isNonPublicIpv4(address)) return undefined;
    const i = this.#find(address);
    const asn = i < 0 ? 0 : this.#asns[i]!;
    return asn === 0 ? undefined : asn;
  }
}

const loading = new Map<string, Promise<AsnTable>>();

/**
 * The table of `path`, loaded on the first request and shared by every later one (features
 * 83 and 98 read the same table): nothing is read at import, and a process that builds
 * neither group never pays the load. A failed load is forgotten, so a later call retries.
 */
export function sharedAsnTable(path: string): Promise<AsnTable> {
  let table = loading.get(path);
  if (table === undefined) {
    table = AsnTable.load(path);
    loading.set(path, table);
    table.catch(() => loading.delete(path));
  }
  return table;
}
