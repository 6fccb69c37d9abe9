import Papa from 'papaparse';
import { InputError } from '../errors/vigil-error.js';
import { looksLikeCowrieJson } from './cowrie-json.js';
import { looksLikeSyslog } from './sshd-syslog.js';

/**
 * The input formats vigil reads from files and stdin:
 * - `cicids-csv-corrected`: the corrected CICIDS2017 CSV (Engelen et al. 2021; 91 columns,
 *   `Src IP`, ISO-like UTC timestamps).
 * - `cicids-csv-original`: the original 2017 CICIDS2017 CSV (85 columns, leading spaces in
 *   names, `Source IP`, `Fwd Header Length` twice, `7/7/2017 3:30` local timestamps).
 * - `jsonl`: one FlowEvent-shaped JSON object per line.
 * - `cowrie-json`: Cowrie honeypot JSON lines (auth, command and session events).
 * - `sshd-syslog`: OpenSSH server lines of a BSD syslog file (auth and session events).
 */
export type InputFormat = 'cicids-csv-corrected' | 'cicids-csv-original' | 'jsonl' | 'cowrie-json' | 'sshd-syslog';

/** Splits a CSV header (or row) into trimmed cells; papaparse only when quoting is used. */
export function splitCsvHeader(line: string): string[] {
  const cells = line.includes('"') ? ((Papa.parse<string[]>(line, { header: false, delimiter: ',' }).data[0] ?? []) as string[]) : line.split(',');
  return cells.map((c) => c.trim());
}

/**
 * The format of an input from its first non-empty line (a CSV header, or the first JSON
 * record). CSV dialects are told apart by column names, not counts, because the decoder maps
 * columns by name: a file with an extra or reordered column still reads correctly, and a file
 * missing a needed column is refused by the decoder with the names it lacks.
 */
export function detectFormat(firstLine: string): InputFormat {
  const line = firstLine.replace(/^\uFEFF/, '').trim();
  // Cowrie lines are JSON objects too: ask the narrower test first.
  if (looksLikeCowrieJson(line)) return 'cowrie-json';
  if (line.startsWith('{')) return 'jsonl';
  // Syslog messages may hold commas: before the CSV test.
  if (looksLikeSyslog(line)) return 'sshd-syslog';
  if (line.includes(',')) {
    const names = new Set(splitCsvHeader(line));
    if (names.has('Src IP')) return 'cicids-csv-corrected';
    if (names.has('Source IP')) return 'cicids-csv-original';
  }
  const seen = line.length > 120 ? `${line.slice(0, 120)}…` : line;
  throw new InputError(
    `unknown input format: the first line is ${JSON.stringify(seen)}; expected a CICIDS2017 CSV header ` +
      `(with "Src IP" or "Source IP"), a JSON object per line (flows or Cowrie events), or a syslog line`,
  );
}
