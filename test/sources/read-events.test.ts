import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readFlows } from '../../src/sources/read-events.js';
import { TRAIN_CSV } from './helpers.js';

// Header, three real flows, and a bad row between the second and third (file line 4).
const lines = readFileSync(TRAIN_CSV, 'utf8').split('\n', 4);
const dir = mkdtempSync(join(tmpdir(), 'vigil-read-events-'));
const path = join(dir, 'flows.csv');
writeFileSync(path, [lines[0], lines[1], lines[2], 'not,a,flow', lines[3]].join('\n') + '\n');

describe('readFlows', () => {
  it('gives each event its file:line, skipping the line that did not decode', async () => {
    const read = await readFlows(path);
    expect(read.bad).toBe(1);
    expect(read.positions).toEqual([`${path}:2`, `${path}:3`, `${path}:5`]);
    // The third event is the third real flow (train.csv line 4), so positions and events line up.
    expect(read.events[2]!.srcIp).toBe(lines[3]!.split(',')[2]);
  });

  it('cuts events and positions alike at the limit', async () => {
    const read = await readFlows(path, {}, 2);
    expect(read.events).toHaveLength(2);
    expect(read.positions).toEqual([`${path}:2`, `${path}:3`]);
  });
});
