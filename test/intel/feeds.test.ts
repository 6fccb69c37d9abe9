import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/errors/vigil-error.js';
import { domainRegistrationFeed, DomainRegistrationTable, domainAndParents, normaliseDomain } from '../../src/intel/domain-registration-table.js';
import { FeedFileError } from '../../src/intel/intel-errors.js';
import { ipReputationFeed, IpReputationTable, readIpReputationFeed } from '../../src/intel/ip-reputation-table.js';

const dir = mkdtempSync(join(tmpdir(), 'vigil-feeds-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function feedFile(name: string, lines: string[]): string {
  const path = join(dir, name);
  writeFileSync(path, lines.join('\n') + '\n');
  return path;
}

describe('IP reputation table', () => {
  const table = new IpReputationTable([
    ['45.9.0.0/16', 0.2],
    ['45.9.20.0/24', 0.5],
    ['45.9.20.7', 0.9],
    ['2001:DB8::66', 0.7],
  ]);

  it('answers the longest matching prefix', () => {
    expect(table.lookup('45.9.20.7')).toBe(0.9); // the /32
    expect(table.lookup('45.9.20.8')).toBe(0.5); // the /24 around it
    expect(table.lookup('45.9.99.1')).toBe(0.2); // only the /16
    expect(table.lookup('45.10.0.1')).toBeUndefined();
  });

  it('matches IPv6 addresses exactly, case-insensitively', () => {
    expect(table.lookup('2001:db8::66')).toBe(0.7);
    expect(table.lookup('2001:db8::67')).toBeUndefined();
  });
});

describe('IP reputation feed files', () => {
  it('reads CSV with a header, JSON lines, comments; counts and reports bad lines', async () => {
    const path = feedFile('mixed.csv', [
      'ip,score',
      '# a comment',
      '45.9.20.0/24,0.5',
      '{"ip": "45.9.20.7", "score": 0.9}',
      'not-an-ip,0.3',
      '45.9.20.9,1.5', // out of [0, 1]
      '{"ip": "45.9.20.10"}', // no score
      '',
      '45.9.20.0/24,0.6', // a later line for the same network replaces the earlier one
    ]);
    const feed = await readIpReputationFeed(path);
    expect(feed.entries).toHaveLength(3);
    expect(feed.badLines).toBe(3);
    expect(feed.badExamples[0]).toBe('5: not-an-ip,0.3');
    expect(feed.table.lookup('45.9.20.7')).toBe(0.9);
    expect(feed.table.lookup('45.9.20.1')).toBe(0.6);
  });

  it('scales 0-100 confidence scores', async () => {
    const feed = await readIpReputationFeed(feedFile('abuse.csv', ['45.9.20.7,85']), { scoreScale: 100 });
    expect(feed.table.lookup('45.9.20.7')).toBeCloseTo(0.85, 12);
  });

  it('fails on a missing file, or one without a valid line', async () => {
    await expect(readIpReputationFeed(join(dir, 'absent.csv'))).rejects.toBeInstanceOf(FeedFileError);
    await expect(readIpReputationFeed(feedFile('junk.csv', ['ip,score', 'x,y', 'z,w']))).rejects.toThrow(/no valid line \(2 bad\)/);
  });

  it('reloads a changed file, keeping the old table when the reload fails', async () => {
    const path = feedFile('live.csv', ['45.9.20.7,0.9']);
    const feed = ipReputationFeed(path);
    expect(() => feed.lookup('45.9.20.7')).toThrow(ConfigError);
    await feed.file.reload();
    expect(feed.lookup('45.9.20.7')).toBe(0.9);
    writeFileSync(path, '45.9.20.7,0.1\n');
    await feed.file.reload();
    expect([feed.lookup('45.9.20.7'), feed.file.version]).toEqual([0.1, 2]);
    await expect(feed.file.reload(join(dir, 'gone.csv'))).rejects.toBeInstanceOf(FeedFileError);
    expect([feed.lookup('45.9.20.7'), feed.file.version, feed.file.path]).toEqual([0.1, 2, path]);
  });
});

describe('domain registration feeds', () => {
  it('normalises names and walks up to the registered parent', () => {
    expect(normaliseDomain('WWW.Evil.Example.')).toBe('www.evil.example');
    expect(normaliseDomain('localhost')).toBeUndefined();
    expect(normaliseDomain('bad_name!.com')).toBeUndefined();
    expect(domainAndParents('a.b.example.com')).toEqual(['a.b.example.com', 'b.example.com', 'example.com']);
    const table = new DomainRegistrationTable([['evil.example', Date.UTC(2017, 6, 1)]]);
    expect(table.lookup('cdn.www.evil.example')).toBe(Date.UTC(2017, 6, 1));
    expect(table.lookup('good.example')).toBeUndefined();
  });

  it('reads ISO dates and epoch ms, CSV and JSON lines', async () => {
    const feed = domainRegistrationFeed(
      feedFile('domains.csv', ['domain,registered', 'evil.example,2017-07-01', '{"domain":"old.example","registered":"1997-09-15T04:00:00Z"}', 'ms.example,1500000000000', 'x.example,someday']),
    );
    const { badLines } = await feed.file.reload();
    expect(badLines).toBe(1);
    expect(feed.lookup('evil.example')).toBe(Date.UTC(2017, 6, 1));
    expect(feed.lookup('old.example')).toBe(Date.UTC(1997, 8, 15, 4));
    expect(feed.lookup('ms.example')).toBe(1_500_000_000_000);
  });
});
