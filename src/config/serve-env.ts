/**
 * The part of `vigil serve`'s settings that may come from the environment (as in
 * deploy/docker-compose.yml), read once at startup. Flags win over these; validation is
 * parseServeSettings' job (see setting-sources.ts).
 */
import { mergeSettings, settingsFromEnv } from './setting-sources.js';
import { SERVE_SETTING_SOURCES, type ServeSettingsInput } from './serve-settings.js';

/** Settings named by environment variables that are set and not empty. */
export function serveSettingsFromEnv(env: NodeJS.ProcessEnv): Partial<ServeSettingsInput> {
  return settingsFromEnv(SERVE_SETTING_SOURCES, env) as Partial<ServeSettingsInput>;
}

/** Flags over environment. */
export function mergeServeSettings(fromEnv: Partial<ServeSettingsInput>, fromFlags: Partial<ServeSettingsInput>): Partial<ServeSettingsInput> {
  return mergeSettings(fromEnv, fromFlags);
}
