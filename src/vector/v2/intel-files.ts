import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { sharedAsnTable } from '../../intel/asn-table.js';
import { chooseTorList, TorExitList, torListCatalogue } from '../../intel/tor-exit-list.js';
import { PACKAGE_ROOT } from '../../paths.js';

/** The shared intel data beside the repository (../shared/data/README.md). */
export const INTEL_FILE_DEFAULTS = Object.freeze({
  asnTable: resolve(PACKAGE_ROOT, '../shared/data/threat_intel/asn/asn-ipv4.csv'),
  torDir: resolve(PACKAGE_ROOT, '../shared/data/threat_intel/tor'),
});

export interface IntelFileOptions {
  /** IP->ASN CSV (features 83, 98); default INTEL_FILE_DEFAULTS.asnTable. */
  asnTable?: string;
  /** A directory of dated Tor exit lists; the one closest to `eventTimeMs` is loaded. */
  torDir?: string;
  /** One Tor list file to use as is (overrides torDir). */
  torList?: string;
  /** Event time the Tor list is chosen for (the first event's); no Tor list without it. */
  eventTimeMs?: number;
}

export interface IntelFiles {
  asnOf?: (ip: string) => number | undefined;
  torList?: { has(ip: string): boolean };
  /** Which files were loaded, for the run summary. */
  loaded: { asnTable: string | null; torList: string | null };
}

/**
 * Loads the ASN table and a Tor exit list for the v2 groups. A file or directory that does
 * not exist is not an error: `warn` is told, and the features it feeds follow their missing
 * rules (83: -1, 98: one AS for all, 84: 0). A file that exists but cannot be read or parsed
 * throws (FeedFileError): a broken file is not the same as no file.
 */
export async function loadIntelFiles(options: IntelFileOptions, warn: (message: string) => void): Promise<IntelFiles> {
  const asnPath = options.asnTable ?? INTEL_FILE_DEFAULTS.asnTable;
  const out: IntelFiles = { loaded: { asnTable: null, torList: null } };
  if (existsSync(asnPath)) {
    const table = await sharedAsnTable(asnPath);
    out.asnOf = (ip) => table.asnOf(ip);
    out.loaded.asnTable = asnPath;
  } else {
    warn(`ASN table ${asnPath} not found: features 83 (asn_reputation) will be -1 and 98 sees every source as one AS`);
  }

  const torPath = options.torList ?? (await closestTorList(options.torDir ?? INTEL_FILE_DEFAULTS.torDir, options.eventTimeMs, warn));
  if (torPath !== undefined) {
    if (existsSync(torPath)) {
      const list = new TorExitList(torPath);
      await list.reload();
      out.torList = list;
      out.loaded.torList = torPath;
    } else {
      warn(`Tor list ${torPath} not found: feature 84 (tor_exit) will be 0`);
    }
  }
  return out;
}

async function closestTorList(dir: string, eventTimeMs: number | undefined, warn: (message: string) => void): Promise<string | undefined> {
  if (!existsSync(dir)) {
    warn(`Tor list directory ${dir} not found: feature 84 (tor_exit) will be 0`);
    return undefined;
  }
  if (eventTimeMs === undefined) return undefined; // no event: nothing to choose for, nothing to score
  const { lists } = await torListCatalogue(dir);
  if (lists.length === 0) {
    warn(`no dated Tor exit list in ${dir}: feature 84 (tor_exit) will be 0`);
    return undefined;
  }
  return chooseTorList(lists, eventTimeMs).path;
}
