import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/errors/vigil-error.js';
import { MemoryKeyspace } from '../../src/store/memory/memory-keyspace.js';
import { MemoryOnlineStore } from '../../src/store/memory/memory-online-store.js';
import { describeOnlineStoreContract } from './online-store-contract.js';

describeOnlineStoreContract('MemoryOnlineStore', async () => {
  let now = 1_700_000_000_000;
  const keyspace = new MemoryKeyspace({ clock: () => now });
  return {
    createStore: (options) => new MemoryOnlineStore({ ...options, keyspace }),
    keyPrefix: 'vigil-test:',
    advance: async (ms) => {
      now += ms;
    },
    shortTtlMs: 1_000,
    cleanup: async () => {},
  };
});

describe('MemoryOnlineStore', () => {
  it('sweeps expired keys that are never read again', async () => {
    let now = 0;
    const keyspace = new MemoryKeyspace({ clock: () => now, sweepIntervalMs: 10_000 });
    const store = new MemoryOnlineStore({ keyspace, families: [{ name: 'f', ttlMs: 1_000 }] });
    await store.applyBatch(['a', 'b', 'c'].map((entity, offset) => ({ family: 'f', entity, position: { partition: 0, offset }, fold: { add: { n: 1 } } })));
    expect(keyspace.size).toBe(3);
    now = 5_000; // expired, but no sweep is due yet
    await store.applyBatch([{ family: 'f', entity: 'd', position: { partition: 0, offset: 0 }, fold: { add: { n: 1 } } }]);
    expect(keyspace.size).toBe(4);
    now = 10_000;
    await store.applyBatch([{ family: 'f', entity: 'e', position: { partition: 0, offset: 0 }, fold: { add: { n: 1 } } }]);
    expect(keyspace.size).toBe(1);
  });

  it('rejects bad settings at construction, naming them', () => {
    expect(() => new MemoryOnlineStore({ families: [] })).toThrow(ConfigError);
    expect(() => new MemoryOnlineStore({ families: [{ name: 'a b', ttlMs: 1 }] })).toThrow(/family name "a b"/);
    expect(() => new MemoryOnlineStore({ families: [{ name: 'a', ttlMs: 0 }] })).toThrow(/ttlMs/);
  });
});
