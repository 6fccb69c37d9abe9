import { createReadStream } from 'node:fs';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { ConfigError } from '../errors/vigil-error.js';
import { FeedFileError } from './intel-errors.js';
import { parseIpv4 } from './ipv4.js';
import { ReloadableFile } from './reloadable-file.js';

/**
 * Tor exit relays: the addresses Tor traffic leaves the network from, so a flow whose source
 * is one of them came through Tor. Lists go stale fast (relays come and go weekly), so the
 * list should date from the events' time: see `chooseTorList`.
 *
 * Two file formats are read: one address a line (`.lst`), and CSV with a header naming an
 * `ipaddr` (or `ip`, `address`) column, such as `fingerprint, ipaddr, port`.
 */
export class TorExitSet {
  readonly #ipv4: Set<number>;
  readonly #ipv6: Set<string>;
  readonly badLines: number;

  constructor(addresses: Iterable<string>, badLines = 0) {
    this.#ipv4 = new Set();
    this.#ipv6 = new Set();
    for (const a of addresses) {
      const v4 = parseIpv4(a);
      if (v4 !== undefined) this.#ipv4.add(v4);
      else this.#ipv6.add(a.toLowerCase());
    }
    this.badLines = badLines;
  }

  get size(): number {
    return this.#ipv4.size + this.#ipv6.size;
  }

  has(ip: string): boolean {
    const v4 = parseIpv4(ip);
    return v4 !== undefined ? this.#ipv4.has(v4) : this.#ipv6.has(ip.toLowerCase());
  }
}

const ADDRESS_COLUMNS = new Set(['ipaddr', 'ip', 'address']);
const IPV6 = /^[0-9a-fA-F:.]+$/;

const isAddress = (text: string) => parseIpv4(text) !== undefined || (text.includes(':') && IPV6.test(text));

/** Reads a Tor list file, streamed; throws FeedFileError if unreadable or without one address. */
export async function readTorExitList(path: string): Promise<TorExitSet> {
  const addresses: string[] = [];
  let badLines = 0;
  let column = -1; // -1: one address a line
  let first = true;
  const lines = createInterface({ input: createReadStream(path, { encoding: 'utf8' }), crlfDelay: Infinity });
  try {
    for await (const raw of lines) {
      const line = raw.trim();
      if (line.length === 0 || line.startsWith('#')) continue;
      const cells = line.split(',').map((c) => c.trim());
      if (first) {
        first = false;
        const header = cells.findIndex((c) => ADDRESS_COLUMNS.has(c.toLowerCase()));
        if (header >= 0) {
          column = header;
          continue;
        }
      }
      const cell = column >= 0 ? cells[column] : cells.length === 1 ? cells[0] : undefined;
      if (cell !== undefined && isAddress(cell)) addresses.push(cell);
      else badLines++;
    }
  } catch (error) {
    throw new FeedFileError('tor-exit-list', path, `cannot read: ${(error as Error).message}`, { cause: error });
  }
  if (addresses.length === 0) throw new FeedFileError('tor-exit-list', path, `no address found (${badLines} bad lines)`);
  return new TorExitSet(addresses, badLines);
}

/** A list file and the time it describes. */
export interface DatedTorList {
  readonly path: string;
  /** When the list was taken, epoch ms UTC. */
  readonly asOfMs: number;
}

export interface TorListCatalogueOptions {
  /**
   * Dates of files whose name carries none (`alireza_latest.exits.csv`), by file name, as
   * ISO-8601 dates: the user states when the list was downloaded. Undated files not named
   * here are left out and reported.
   */
  asOf?: Readonly<Record<string, string>>;
  /** Also offer lists of all relays (not only exits); off, since most relays are not exits. */
  includeNonExit?: boolean;
}

/**
 * The lists in `dir` with their dates: from a `YYYY-MM-DD` in the file name, else from
 * `options.asOf`. Only files whose name contains `exit` are offered, unless `includeNonExit`.
 */
export async function torListCatalogue(
  dir: string,
  options: TorListCatalogueOptions = {},
): Promise<{ lists: DatedTorList[]; undated: string[] }> {
  const lists: DatedTorList[] = [];
  const undated: string[] = [];
  for (const name of (await readdir(dir)).sort()) {
    if (!options.includeNonExit && !name.toLowerCase().includes('exit')) continue;
    const stated = options.asOf?.[name];
    const date = stated ?? /(\d{4}-\d{2}-\d{2})/.exec(name)?.[1];
    const asOfMs = date === undefined ? Number.NaN : Date.parse(date);
    if (stated !== undefined && !Number.isFinite(asOfMs)) {
      throw new ConfigError(`torListCatalogue: asOf for ${name} is ${JSON.stringify(stated)}, not an ISO-8601 date`);
    }
    if (Number.isFinite(asOfMs)) lists.push({ path: join(dir, name), asOfMs });
    else undated.push(name);
  }
  return { lists, undated };
}

/**
 * The list taken closest in time to `eventTimeMs` (ties: the earlier list, which the events
 * could have been checked against when they happened). For a replay, pass the time of the
 * first event (or the middle of the replayed span); for live scoring, the current time.
 */
export function chooseTorList(lists: readonly DatedTorList[], eventTimeMs: number): DatedTorList {
  let best: DatedTorList | undefined;
  for (const list of lists) {
    const d = Math.abs(list.asOfMs - eventTimeMs);
    const bestD = best === undefined ? Infinity : Math.abs(best.asOfMs - eventTimeMs);
    if (d < bestD || (d === bestD && best !== undefined && list.asOfMs < best.asOfMs)) best = list;
  }
  if (best === undefined) throw new ConfigError('chooseTorList: no dated Tor list to choose from; name one or give its date (asOf)');
  return best;
}

/**
 * The Tor exit list features read: `has(ip)` answers from the last loaded file. `reload()`
 * re-reads it (or switches to another file) without pausing lookups; `version` counts loads.
 */
export class TorExitList {
  readonly file: ReloadableFile<TorExitSet>;

  constructor(path: string) {
    this.file = new ReloadableFile(path, readTorExitList);
  }

  /** Loads the list closest in time to `eventTimeMs` among the dated lists of `dir`. */
  static async closestTo(dir: string, eventTimeMs: number, options: TorListCatalogueOptions = {}): Promise<TorExitList> {
    const { lists } = await torListCatalogue(dir, options);
    const list = new TorExitList(chooseTorList(lists, eventTimeMs).path);
    await list.reload();
    return list;
  }

  reload(path?: string): Promise<TorExitSet> {
    return this.file.reload(path);
  }

  has(ip: string): boolean {
    return this.file.current.has(ip);
  }
}
