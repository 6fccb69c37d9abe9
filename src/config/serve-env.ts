/**
 * The part of `vigil serve`'s settings that may come from the environment (as in
 * deploy/docker-compose.yml), read once at startup. Flags win over these; validation is
 * parseServeSettings' job, so values are passed on as written (lists split on commas).
 */
import { SERVE_SETTING_SOURCES, type ServeSettingsInput } from './serve-settings.js';

const LIST_SETTINGS: ReadonlySet<string> = new Set(['brokers', 'inputTopics']);

function splitList(text: string): string[] {
  return text
    .split(',')
    .map((item) => item.trim())
    .filter((item) => item.length > 0);
}

/** Settings named by environment variables that are set and not empty. */
export function serveSettingsFromEnv(env: NodeJS.ProcessEnv): Partial<ServeSettingsInput> {
  const out: Record<string, string | string[]> = {};
  for (const [key, { env: name }] of Object.entries(SERVE_SETTING_SOURCES)) {
    const text = name === undefined ? undefined : env[name]?.trim();
    if (!text) continue;
    out[key] = LIST_SETTINGS.has(key) ? splitList(text) : text;
  }
  return out as Partial<ServeSettingsInput>;
}

/**
 * Flags over environment: a flag given on the command line replaces the variable; flags not
 * given (undefined) leave it in place.
 */
export function mergeServeSettings(fromEnv: Partial<ServeSettingsInput>, fromFlags: Partial<ServeSettingsInput>): Partial<ServeSettingsInput> {
  const given = Object.fromEntries(Object.entries(fromFlags).filter(([, value]) => value !== undefined));
  return { ...fromEnv, ...given };
}
