import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import type { SecurityEvent } from '../../src/events/security-events.js';
import { BEHAVIORAL_SLOTS, createBehavioralGroups, loadSequenceModel, type SequenceModel } from '../../src/features/behavioral/index.js';
import type { FeatureSpec } from '../../src/features/feature-group.js';
import { PACKAGE_ROOT, SCHEMAS_DIR } from '../../src/paths.js';
import { createCowrieDecoder } from '../../src/sources/cowrie-json.js';
import type { Decoder } from '../../src/sources/record.js';
import { createSshdDecoder } from '../../src/sources/sshd-syslog.js';

const DATA = resolve(PACKAGE_ROOT, '../shared/data');
// Days after the LSTM's training days (models/sequence-lstm/manifest.json: trainDays end 2018-06-18),
// chosen because people and bots typed commands on them.
const REPLAY_DAYS = ['2018-06-30', '2018-07-01', '2018-07-02'];

function decodeFile(path: string, decoder: Decoder<SecurityEvent>): SecurityEvent[] {
  const events: SecurityEvent[] = [];
  readFileSync(path, 'utf8').split('\n').forEach((text, i) => {
    if (text.trim() === '') return;
    const d = decoder.decode({ position: { kind: 'file', file: path, line: i + 1 }, text, byteLength: Buffer.byteLength(text), readAt: 0 });
    if (d.ok) events.push(d.value);
  });
  return events;
}

/** Every event through every group, one state per group and source; the vector slice 85-94 after each event. */
function replay(model: SequenceModel, events: readonly SecurityEvent[], roundTrip = false): number[][] {
  const groups = createBehavioralGroups(model);
  const states = groups.map(() => new Map<string, unknown>());
  return events.map((e) =>
    groups.flatMap((g, i) => {
      const held = states[i]!.get(e.srcIp);
      const from = held === undefined ? g.init() : roundTrip ? JSON.parse(JSON.stringify(held)) : held;
      const { state, values } = g.step(from, e);
      states[i]!.set(e.srcIp, state);
      return values;
    }),
  );
}

const quantile = (sorted: readonly number[], q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;

function distribution(rows: readonly number[][]) {
  return BEHAVIORAL_SLOTS.map((slot, i) => {
    const column = rows.map((r) => r[i]!).sort((a, b) => a - b);
    const r4 = (v: number) => Number(v.toFixed(4));
    return { feature: slot, min: r4(column[0]!), p50: r4(quantile(column, 0.5)), p99: r4(quantile(column, 0.99)), max: r4(column.at(-1)!), distinct: new Set(column).size };
  });
}

/** The documented ranges of schemas/features-v2/behavioral.json. */
const RANGES: Record<number, [number, number]> = {
  85: [-1, 1],
  86: [-1, 1],
  87: [-1, 1],
  88: [-1, 1],
  89: [-1, 1],
  90: [0, 5],
  91: [0, Math.sqrt(15)],
  92: [-1, 1],
  93: [-10, 10],
  94: [0, 2],
};

let model: SequenceModel;
let cowrie: SecurityEvent[];
let cowrieRows: number[][];
beforeAll(async () => {
  model = await loadSequenceModel();
  const decoder = createCowrieDecoder();
  cowrie = REPLAY_DAYS.flatMap((d) => decodeFile(join(DATA, 'cowrie', `cowrie.json.${d}`), decoder));
  cowrieRows = replay(model, cowrie);
});

describe('replaying held-out Cowrie days through features 85-94', () => {
  it('gives features that vary, inside their documented ranges', () => {
    const dist = distribution(cowrieRows);
    console.log(`Cowrie ${REPLAY_DAYS[0]}..${REPLAY_DAYS.at(-1)}, ${cowrie.length} events`);
    console.table(dist);
    for (const d of dist) {
      expect(d.distinct, `feature ${d.feature}`).toBeGreaterThan(2);
      expect(d.min, `feature ${d.feature}`).toBeGreaterThanOrEqual(RANGES[d.feature]![0]);
      expect(d.max, `feature ${d.feature}`).toBeLessThanOrEqual(RANGES[d.feature]![1]);
    }
    // The LSTM units move with nearly every event.
    for (const d of dist.slice(0, 5)) expect(d.distinct).toBeGreaterThan(cowrie.length / 2);
  });

  it('sees what these days hold: typed and scripted input, varied commands, logins guessed after failures', () => {
    const column = (slot: number) => cowrieRows.map((r) => r[slot - 85]!);
    expect(Math.min(...column(92))).toBeLessThan(0); // someone typed
    expect(Math.max(...column(92))).toBe(1); // a bot sent only scripted lines
    expect(Math.max(...column(90))).toBeGreaterThanOrEqual(2);
    expect(Math.max(...column(94))).toBeGreaterThan(1);
    expect(Math.min(...column(91))).toBeLessThan(0.1); // some source reconnects like a clock
  });

  it('gives the same values when every state goes through JSON between events', () => {
    const part = cowrie.slice(0, 3000);
    expect(replay(model, part, true)).toEqual(cowrieRows.slice(0, 3000));
  });
});

describe('replaying OpenSSH_2k.log through features 85-94', () => {
  it('gives auth and duration features from syslog, and the command features their missing value', () => {
    const events = decodeFile(join(DATA, 'sshd', 'OpenSSH_2k.log'), createSshdDecoder({ year: 2017 }));
    const rows = replay(model, events);
    const dist = distribution(rows);
    console.log(`OpenSSH_2k.log, ${events.length} events`);
    console.table(dist);
    const of = (slot: number) => dist[slot - 85]!;
    expect(of(90)).toMatchObject({ min: 0, max: 0 }); // no command lines in sshd logs
    expect(of(92)).toMatchObject({ min: 0, max: 0 });
    expect(of(93).distinct).toBeGreaterThan(10);
    expect(of(94).max).toBeGreaterThan(0.8); // long runs of failed passwords
    expect(of(85).distinct).toBeGreaterThan(100);
  });
});

describe('schemas/features-v2/behavioral.json', () => {
  const specs = JSON.parse(readFileSync(join(SCHEMAS_DIR, 'features-v2', 'behavioral.json'), 'utf8')) as FeatureSpec[];

  it('specifies features 85-94 in order, each fully', () => {
    expect(specs.map((s) => s.number)).toEqual([...BEHAVIORAL_SLOTS]);
    for (const s of specs) {
      expect(s.name).toMatch(/^[a-z][a-z0-9_]*$/);
      for (const field of ['formula', 'window', 'missing'] as const) expect(s[field].length, `${s.number} ${field}`).toBeGreaterThan(10);
      expect(s.range).toMatch(/^[[({].*[\])}]/);
    }
    expect(new Set(specs.map((s) => s.name)).size).toBe(specs.length);
  });

  it('is exactly what the groups fill', () => {
    expect(createBehavioralGroups(model).flatMap((g) => g.slots)).toEqual(specs.map((s) => s.number));
  });
});
