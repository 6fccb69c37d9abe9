import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { PACKAGE_ROOT } from '../../src/paths.js';
import type { InputEvent, OpenFileSourceOptions } from '../../src/sources/file-source.js';
import { readEvents, type ReadEvents } from '../../src/sources/read-events.js';
import { sampleLines } from '../helpers/sample.js';

const SHARED = resolve(PACKAGE_ROOT, '../shared/data');

/** The head of a file's lines (the shared logs are small enough to read whole). */
function head(path: string, n: number): string[] {
  return readFileSync(path, 'utf8').split('\n').filter((l) => l.length > 0).slice(0, n);
}

/** 299 flows of the original 2017 CSV: it writes Infinity / NaN in rate columns (v1: missing). */
export const ORIGINAL_CSV = join(SHARED, 'cicids2017', 'original-format-head.csv');

export interface V2Inputs {
  dir: string;
  csv: string;
  cowrie: string;
  sshd: string;
}

/**
 * Three small real inputs written to a temp dir: every 14th row of the CICIDS demo sample
 * (209 flows of every class), the first Cowrie day (its 211 lines: sessions with logins and
 * commands), and the first 250 lines of the OpenSSH log (failed and accepted logins, closes).
 */
export function writeV2Inputs(): V2Inputs {
  const dir = mkdtempSync(join(tmpdir(), 'vigil-v2-'));
  const { header, lines } = sampleLines(3000);
  const csv = join(dir, 'flows.csv');
  writeFileSync(csv, [header, ...lines.filter((_, i) => i % 14 === 0)].join('\n') + '\n');
  const cowrie = join(dir, 'cowrie.json');
  writeFileSync(cowrie, head(join(SHARED, 'cowrie', 'cowrie.json.2018-05-06'), 250).join('\n') + '\n');
  const sshd = join(dir, 'auth.log');
  writeFileSync(sshd, head(join(SHARED, 'sshd', 'OpenSSH_2k.log'), 250).join('\n') + '\n');
  return { dir, csv, cowrie, sshd };
}

/** The syslog year the tests read sshd lines with (the log is from December 2015). */
export const SYSLOG_YEAR = 2015;

/** Every event a file decodes to, in file order, and the bad-record count. */
export function decodeAll(path: string, options: OpenFileSourceOptions = { syslogYear: SYSLOG_YEAR }): Promise<ReadEvents<InputEvent>> {
  return readEvents(path, options);
}
