import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { RegistryError } from './registry-error.js';

/**
 * The two pointer files of a registry directory: CURRENT names the version served by
 * default, PREVIOUS the one `rollback` returns to. Each holds one version name and a newline.
 */
export const POINTER_FILES = { current: 'CURRENT', previous: 'PREVIOUS' } as const;
export type PointerName = keyof typeof POINTER_FILES;

export function pointerPath(modelsDir: string, pointer: PointerName): string {
  return join(modelsDir, POINTER_FILES[pointer]);
}

/** The version a pointer names, or undefined when the pointer file does not exist. */
export function readPointer(modelsDir: string, pointer: PointerName): string | undefined {
  const path = pointerPath(modelsDir, pointer);
  if (!existsSync(path)) return undefined;
  const version = readFileSync(path, 'utf8').trim();
  if (!version) throw new RegistryError(`${path} is empty; write a version name into it or run \`vigil models promote VERSION\``);
  return version;
}

/**
 * Writes `<pointer>.tmp`, then renames it over the pointer: rename is atomic on one file
 * system, so a reader (a running engine, another CLI) sees the old name or the new one,
 * never half of one. Callers hold the registry lock, so the fixed .tmp name cannot collide.
 */
export function writePointer(modelsDir: string, pointer: PointerName, version: string): void {
  const path = pointerPath(modelsDir, pointer);
  writeFileSync(`${path}.tmp`, `${version}\n`);
  renameSync(`${path}.tmp`, path);
}
