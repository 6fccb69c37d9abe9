import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { AsnTable, sharedAsnTable } from '../../src/intel/asn-table.js';
import { PACKAGE_ROOT } from '../../src/paths.js';

const ASN_CSV = join(PACKAGE_ROOT, '..', 'shared', 'data', 'threat_intel', 'asn', 'asn-ipv4.csv');

describe('ASN table on the real asn-ipv4.csv', () => {
  let table: AsnTable;
  beforeAll(async () => {
    table = await sharedAsnTable(ASN_CSV);
  });

  it('loads every range but the one overlapping row, and reports it', () => {
    // 411,961 lines; line 399,116 (215.0.0.0-215.1.3.255, AS721) starts inside the range of
    // line 399,115 (214.95.0.0-215.0.255.255, AS749).
    expect(table.size).toBe(411_960);
    expect(table.report.badRows).toBe(1);
    expect(table.report.badByReason).toEqual({ columns: 0, address: 0, asn: 0, reversed: 0, overlap: 1 });
    expect(table.report.badExamples[0]).toContain('215.0.0.0-215.1.3.255 AS721');
  });

  it.each([
    // line 1: 1.0.0.0,1.0.0.255,13335,"Cloudflare, Inc."
    ['1.0.0.0', 13335, 'Cloudflare, Inc.'],
    ['1.0.0.255', 13335, 'Cloudflare, Inc.'],
    // line 5321: 8.8.8.0,8.8.8.255,15169,Google LLC
    ['8.8.8.8', 15169, 'Google LLC'],
    // line 1008: 2.26.200.0,2.26.215.255,201907,"LLC ""SPUTNIK""" (quoted quotes)
    ['2.26.210.1', 201907, 'LLC "SPUTNIK"'],
    // the kept row of the overlap: 214.95.0.0,215.0.255.255,749
    ['215.0.0.5', 749, 'United States Department of Defense (DoD)'],
    // the last line: 223.255.254.0,223.255.254.255,55415,Marina Bay Sands Pte Ltd
    ['223.255.254.9', 55415, 'Marina Bay Sands Pte Ltd'],
  ])('finds %s in AS%i', (ip, asn, org) => {
    expect(table.lookup(ip)).toEqual({ asn, org });
    expect(table.asnOf(ip)).toBe(asn);
  });

  it('answers nothing in gaps, before the first range, for private addresses and IPv6', () => {
    expect(table.lookup('1.0.1.0')).toBeUndefined(); // between lines 1 and 2 (1.0.4.0)
    expect(table.lookup('0.255.255.255')).toBeUndefined();
    expect(table.asnOf('192.168.10.50')).toBeUndefined();
    expect(table.asnOf('2606:4700::1111')).toBeUndefined();
  });

  it('is loaded once and shared', async () => {
    expect(await sharedAsnTable(ASN_CSV)).toBe(table);
  });
});

describe('ASN table bad rows', () => {
  it('skips and counts each kind of bad row, and sorts unsorted input', () => {
    const table = AsnTable.fromLines([
      '5.0.0.0,5.0.0.255,200,Later "range"',
      '1.0.0.0,1.0.0.255,100,First',
      'nonsense',
      '1.0.1.0,1.0.1.255,AS7,Bad asn',
      '1.0.2.0,1.0.1.0,7,Reversed',
      '1.0.3.0,1.0.3.x,7,Bad address',
      '1.0.0.128,1.0.0.200,300,Overlaps First',
      '',
    ]);
    expect(table.size).toBe(2);
    expect(table.report.badByReason).toEqual({ columns: 1, address: 1, asn: 1, reversed: 1, overlap: 1 });
    expect(table.lookup('1.0.0.150')).toEqual({ asn: 100, org: 'First' });
    expect(table.lookup('5.0.0.1')).toEqual({ asn: 200, org: 'Later "range"' });
  });
});
