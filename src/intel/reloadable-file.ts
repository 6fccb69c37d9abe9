import { ConfigError } from '../errors/vigil-error.js';
import type { KeyLookup } from './key-lookup.js';

/**
 * Data loaded from a file that can be re-read while events keep flowing (a Tor exit list, a
 * reputation feed). A reload builds the new data completely before swapping it in, in one
 * assignment, so a lookup sees the old data or the new one, never a mix; if the reload
 * fails, the old data stays and the error is thrown to the caller.
 *
 * `version` counts successful loads: a topology that records it with each scored event can
 * tell which data a value was computed from (lookups are outside the pure state).
 */
export class ReloadableFile<T> {
  readonly #load: (path: string) => Promise<T>;
  #path: string;
  #data: T | undefined;
  #version = 0;

  constructor(path: string, load: (path: string) => Promise<T>) {
    this.#path = path;
    this.#load = load;
  }

  get path(): string {
    return this.#path;
  }

  get version(): number {
    return this.#version;
  }

  get loaded(): boolean {
    return this.#data !== undefined;
  }

  /** The data of the last successful load; throws ConfigError before the first one. */
  get current(): T {
    if (this.#data === undefined) {
      throw new ConfigError(`ReloadableFile: ${this.#path} is not loaded yet; await reload() once before reading it`);
    }
    return this.#data;
  }

  /** Re-reads the file (or switches to `path`) and swaps the data in; returns it. */
  async reload(path: string = this.#path): Promise<T> {
    const data = await this.#load(path);
    this.#data = data;
    this.#path = path;
    this.#version++;
    return data;
  }
}

/**
 * A lookup over the table of a reloadable feed file: each `lookup` reads the table of the
 * latest successful load. `await lookup.file.reload()` once before the first lookup, and
 * again whenever the file changes.
 */
export class ReloadableLookup<T extends { readonly table: KeyLookup }> implements KeyLookup {
  readonly file: ReloadableFile<T>;

  constructor(path: string, read: (path: string) => Promise<T>) {
    this.file = new ReloadableFile(path, read);
  }

  lookup(key: string): number | undefined {
    return this.file.current.table.lookup(key);
  }
}
