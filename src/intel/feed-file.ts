import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import { FeedFileError } from './intel-errors.js';

/**
 * A user-supplied feed of key → number (IP or CIDR → reputation score, domain → registration
 * date), one entry a line, in either of two formats, chosen per line:
 *
 * - CSV: `key,value` (further columns ignored, no quoting). A first line whose value does
 *   not parse is taken as a header.
 * - JSON lines: `{"<keyField>": "...", "<valueField>": ...}`, for lines starting with `{`.
 *
 * Blank lines and lines starting with `#` are skipped. Any other line that does not parse is
 * counted as bad and skipped: real feeds carry a few, and one bad line must not cost the
 * rest. A later line for the same key replaces an earlier one (feeds are appended to).
 */
export interface FeedFormat {
  /** Names the feed in errors. */
  readonly provider: string;
  /** JSON lines: the field holding the key. */
  readonly keyField: string;
  /** JSON lines: the field holding the value. */
  readonly valueField: string;
  /** The key in canonical form, or undefined if it is not a valid key. */
  parseKey(raw: string): string | undefined;
  /** The value as a number, from CSV text or a JSON value; undefined if invalid. */
  parseValue(raw: unknown): number | undefined;
}

export interface FeedContents {
  /** In file order; a repeated key appears as often as it was written. */
  readonly entries: readonly (readonly [string, number])[];
  readonly badLines: number;
  /** The first few bad lines as `<line number>: <text>`, for the operator. */
  readonly badExamples: readonly string[];
}

const MAX_EXAMPLES = 5;

function parseJsonLine(line: string, format: FeedFormat): [string, number] | undefined {
  let record: unknown;
  try {
    record = JSON.parse(line);
  } catch {
    // An unparsable line is a bad line, counted by the caller: that is the feed's error rule.
    return undefined;
  }
  if (typeof record !== 'object' || record === null) return undefined;
  const rawKey = (record as Record<string, unknown>)[format.keyField];
  if (typeof rawKey !== 'string') return undefined;
  const key = format.parseKey(rawKey.trim());
  const value = format.parseValue((record as Record<string, unknown>)[format.valueField]);
  return key === undefined || value === undefined ? undefined : [key, value];
}

function parseCsvLine(line: string, format: FeedFormat): [string, number] | undefined {
  const [rawKey, rawValue] = line.split(',', 2);
  if (rawKey === undefined || rawValue === undefined) return undefined;
  const key = format.parseKey(rawKey.trim());
  const value = format.parseValue(rawValue.trim());
  return key === undefined || value === undefined ? undefined : [key, value];
}

/** Reads a feed file, streamed line by line. Throws FeedFileError if it cannot be read, or holds only bad lines. */
export async function readFeedFile(path: string, format: FeedFormat): Promise<FeedContents> {
  const entries: [string, number][] = [];
  const badExamples: string[] = [];
  let badLines = 0;
  let lineNumber = 0;
  let firstDataLine = true;
  const lines = createInterface({ input: createReadStream(path, { encoding: 'utf8' }), crlfDelay: Infinity });
  try {
    for await (const raw of lines) {
      lineNumber++;
      const line = raw.trim();
      if (line.length === 0 || line.startsWith('#')) continue;
      const isJson = line.startsWith('{');
      const entry = isJson ? parseJsonLine(line, format) : parseCsvLine(line, format);
      const headerCandidate = firstDataLine && !isJson;
      firstDataLine = false;
      if (entry !== undefined) entries.push(entry);
      else if (!headerCandidate) {
        badLines++;
        if (badExamples.length < MAX_EXAMPLES) badExamples.push(`${lineNumber}: ${line.slice(0, 120)}`);
      }
    }
  } catch (error) {
    throw new FeedFileError(format.provider, path, `cannot read: ${(error as Error).message}`, { cause: error });
  }
  if (entries.length === 0 && badLines > 0) {
    throw new FeedFileError(format.provider, path, `no valid line (${badLines} bad); first bad line ${badExamples[0]}`);
  }
  return { entries, badLines, badExamples };
}

/** A number in [min, max] from CSV text or a JSON number, divided by `scale`; undefined otherwise. */
export function boundedNumber(raw: unknown, scale: number, min: number, max: number): number | undefined {
  const n = typeof raw === 'number' ? raw : typeof raw === 'string' && raw.trim() !== '' ? Number(raw) : Number.NaN;
  if (!Number.isFinite(n)) return undefined;
  const scaled = n / scale;
  return scaled >= min && scaled <= max ? scaled : undefined;
}
