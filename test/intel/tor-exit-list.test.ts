import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/errors/vigil-error.js';
import { FeedFileError } from '../../src/intel/intel-errors.js';
import { chooseTorList, readTorExitList, TorExitList, torListCatalogue } from '../../src/intel/tor-exit-list.js';
import { PACKAGE_ROOT } from '../../src/paths.js';

const TOR_DIR = join(PACKAGE_ROOT, '..', 'shared', 'data', 'threat_intel', 'tor');
const dir = mkdtempSync(join(tmpdir(), 'vigil-tor-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('Tor exit lists from the shared data', () => {
  it('reads one-address-a-line lists', async () => {
    const list = await readTorExitList(join(TOR_DIR, 'secops_tor-exit-nodes_2018-03-13.lst'));
    expect([list.size, list.badLines]).toEqual([1088, 0]);
    expect(list.has('185.220.101.1')).toBe(true); // line 281
    expect(list.has('8.8.8.8')).toBe(false);
  });

  it('reads the CSV list by its ipaddr column, IPv6 included, one entry per address', async () => {
    const list = await readTorExitList(join(TOR_DIR, 'alireza_latest.exits.csv'));
    // 5,933 rows, several ports per relay: 2,277 distinct addresses (1,363 IPv4, 914 IPv6).
    expect([list.size, list.badLines]).toEqual([2277, 0]);
    expect(list.has('204.8.96.141')).toBe(true);
    expect(list.has('2620:7:6003::141')).toBe(true);
    expect(list.has('2001:db8::1')).toBe(false);
  });

  it('dates lists by file name, leaves undated and non-exit lists out unless told', async () => {
    const { lists, undated } = await torListCatalogue(TOR_DIR);
    expect(lists.map((l) => [l.path.split('/').pop(), new Date(l.asOfMs).toISOString().slice(0, 10)])).toEqual([
      ['secops_tor-exit-nodes_2018-03-13.lst', '2018-03-13'],
      ['secops_tor-exit-nodes_2024-02-27.lst', '2024-02-27'],
    ]);
    expect(undated).toEqual(['alireza_latest.exits.csv']);
    const all = await torListCatalogue(TOR_DIR, { asOf: { 'alireza_latest.exits.csv': '2026-08-01' }, includeNonExit: true });
    expect(all.lists).toHaveLength(4);
    await expect(torListCatalogue(TOR_DIR, { asOf: { 'alireza_latest.exits.csv': 'August' } })).rejects.toBeInstanceOf(ConfigError);
  });

  it('picks the list closest in time to the events', async () => {
    const { lists } = await torListCatalogue(TOR_DIR, { asOf: { 'alireza_latest.exits.csv': '2026-08-01' } });
    const pick = (iso: string) => chooseTorList(lists, Date.parse(iso)).path.split('/').pop();
    expect(pick('2017-07-07T12:00:00Z')).toBe('secops_tor-exit-nodes_2018-03-13.lst'); // CICIDS2017
    expect(pick('2018-05-06T00:00:00Z')).toBe('secops_tor-exit-nodes_2018-03-13.lst'); // the Cowrie logs
    expect(pick('2024-06-01T00:00:00Z')).toBe('secops_tor-exit-nodes_2024-02-27.lst');
    expect(pick('2026-01-01T00:00:00Z')).toBe('alireza_latest.exits.csv');
    expect(() => chooseTorList([], 0)).toThrow(ConfigError);
    const list = await TorExitList.closestTo(TOR_DIR, Date.parse('2017-07-07T12:00:00Z'));
    expect(list.has('185.220.101.1')).toBe(true);
  });
});

describe('reloading a Tor list', () => {
  it('swaps in the re-read file, or another one, and keeps the old list when a reload fails', async () => {
    const path = join(dir, 'exits.lst');
    writeFileSync(path, '185.220.101.1\n185.220.101.2\n');
    const list = new TorExitList(path);
    await list.reload();
    expect([list.has('185.220.101.1'), list.has('45.9.20.7'), list.file.version]).toEqual([true, false, 1]);

    writeFileSync(path, '# refreshed\n45.9.20.7\nnot an address\n');
    const reloaded = await list.reload();
    expect([list.has('185.220.101.1'), list.has('45.9.20.7'), reloaded.badLines, list.file.version]).toEqual([false, true, 1, 2]);

    writeFileSync(join(dir, 'empty.lst'), '# nothing\n');
    await expect(list.reload(join(dir, 'empty.lst'))).rejects.toBeInstanceOf(FeedFileError);
    expect([list.has('45.9.20.7'), list.file.path]).toEqual([true, path]);

    await list.reload(join(TOR_DIR, 'secops_tor-exit-nodes_2024-02-27.lst'));
    expect([list.has('45.9.20.7'), list.file.current.size, list.file.version]).toEqual([false, 1746, 3]);
  });
});
