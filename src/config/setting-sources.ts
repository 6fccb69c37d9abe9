/**
 * Where a long-running command's settings come from, declared once per command as a table
 * (setting -> flag, environment variable), so error messages can name what to change and the
 * environment is read the same way by every command. Validation stays with each command's
 * zod schema: values are passed on as written (lists split on commas; a number that does not
 * parse stays text, so zod names it in its message).
 */
export interface SettingSource {
  flag: string;
  env?: string;
  /** Read from the environment as a comma-separated list. */
  list?: boolean;
  /** Read from the environment as a number. */
  number?: boolean;
}

function splitList(text: string): string[] {
  return text
    .split(',')
    .map((item) => item.trim())
    .filter((item) => item.length > 0);
}

/** Settings named by environment variables that are set and not empty. */
export function settingsFromEnv(sources: Readonly<Record<string, SettingSource>>, env: NodeJS.ProcessEnv): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, source] of Object.entries(sources)) {
    const text = source.env === undefined ? undefined : env[source.env]?.trim();
    if (!text) continue;
    if (source.list) out[key] = splitList(text);
    else if (source.number) out[key] = Number.isNaN(Number(text)) ? text : Number(text);
    else out[key] = text;
  }
  return out;
}

/**
 * Flags over environment: a flag given on the command line replaces the variable; flags not
 * given (undefined) leave it in place.
 */
export function mergeSettings<T extends object>(fromEnv: Partial<T>, fromFlags: Partial<T>): Partial<T> {
  const given = Object.fromEntries(Object.entries(fromFlags).filter(([, value]) => value !== undefined));
  return { ...fromEnv, ...given } as Partial<T>;
}
