import { execFile } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { lastValueFrom, toArray } from 'rxjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { featuresTopology } from '../../topologies/features.js';
import { loadSequenceModel, type SequenceModel } from '../../src/features/behavioral/sequence-model.js';
import { FeaturePipeline } from '../../src/features/pipeline.js';
import { AsnTable } from '../../src/intel/asn-table.js';
import { TorExitSet } from '../../src/intel/tor-exit-list.js';
import { PACKAGE_ROOT } from '../../src/paths.js';
import { openEventSource, type InputEvent } from '../../src/sources/file-source.js';
import type { BadInput } from '../../src/sources/record.js';
import type { FeatureLine, FeatureLineSink } from '../../src/vector/v2/feature-line-sink.js';
import { INTEL_FILE_DEFAULTS } from '../../src/vector/v2/intel-files.js';
import { createV2FeatureGroups, type V2GroupResources } from '../../src/vector/v2/v2-feature-groups.js';
import { decodeAll, SYSLOG_YEAR, writeV2Inputs, type V2Inputs } from '../features/v2-fixtures.js';

const run = promisify(execFile);
const vigil = (args: string[]) => run(process.execPath, ['bin/vigil.js', ...args], { cwd: PACKAGE_ROOT, maxBuffer: 64 * 1024 * 1024 });

let model: SequenceModel;
let inputs: V2Inputs;
/** Every event of the three inputs, in the order the topology reads them, and the bad-record count. */
let events: InputEvent[];
let badRecords: number;

beforeAll(async () => {
  model = await loadSequenceModel();
  inputs = writeV2Inputs();
  const decoded = [];
  for (const f of [inputs.csv, inputs.cowrie, inputs.sshd]) decoded.push(await decodeAll(f));
  events = decoded.flatMap((d) => d.events);
  badRecords = decoded.reduce((n, d) => n + d.bad, 0);
});

function memorySinks() {
  const lines: FeatureLine[] = [];
  const bad: BadInput[] = [];
  const vectors: FeatureLineSink = { write: async (l) => void lines.push(...l), close: async () => {} };
  return { lines, bad, vectors, deadLetters: { write: async (b: readonly BadInput[]) => void bad.push(...b) } };
}

describe('features topology', () => {
  it('equals the pipeline replayed over the same events (files in order, one pipeline, small batches)', async () => {
    const resources: V2GroupResources = { sequenceModel: model };
    const streamed = new FeaturePipeline({ groups: createV2FeatureGroups(resources) });
    const sinks = memorySinks();
    let batches = 0;
    for (const file of [inputs.csv, inputs.cowrie, inputs.sshd]) {
      const { source, decoder } = await openEventSource(file, { syslogYear: SYSLOG_YEAR });
      const out = await lastValueFrom(
        featuresTopology({ source, decoder, deadLetters: sinks.deadLetters, pipeline: streamed, vectors: sinks.vectors, batch: { maxSize: 7, maxWaitMs: 5 } }).pipe(toArray()),
      );
      batches += out.length;
      // Acknowledged to the end: the last line of each file is durable.
      expect(source.durableLine).toBe(readFileSync(file, 'utf8').trimEnd().split('\n').length);
    }
    expect(batches).toBeGreaterThan(50);

    const replayed = new FeaturePipeline({ groups: createV2FeatureGroups(resources) }).replay(events);
    expect(sinks.lines).toHaveLength(events.length);
    expect(sinks.lines.map((l) => l.key)).toEqual(events.map((e) => e.srcIp));
    expect(sinks.lines.map((l) => l.ts)).toEqual(events.map((e) => e.ts));
    expect(sinks.lines.map((l) => l.vector)).toEqual(replayed.map((v) => Array.from(v)));
    expect(sinks.lines.every((l) => l.featureVersion === 2)).toBe(true);
    // sshd lines that record no event go to the dead letters, not into vectors.
    expect(sinks.bad).toHaveLength(badRecords);
    expect(badRecords).toBeGreaterThan(0);
    expect(sinks.bad.every((b) => /^(not-an-event|not-sshd|unknown-source)/.test(b.reason))).toBe(true);
  });
});

describe('vigil features', () => {
  it('writes one {key, ts, featureVersion, vector} line per event, equal to the pipeline with the same intel files', async () => {
    const attacker = events.find((e) => 'kind' in e)!.srcIp;
    const asnLines = [`${attacker},${attacker},64500,"Test AS"`];
    const asnTable = join(inputs.dir, 'asn.csv');
    writeFileSync(asnTable, asnLines.join('\n') + '\n');
    const torList = join(inputs.dir, 'tor-exits.lst');
    writeFileSync(torList, `${attacker}\n`);
    const out = join(inputs.dir, 'out', 'features.jsonl');
    const dlq = join(inputs.dir, 'out', 'dlq.jsonl');
    const { stdout } = await vigil([
      'features', '--data', inputs.csv, inputs.cowrie, inputs.sshd, '--out', out, '--dlq', dlq,
      '--syslog-year', String(SYSLOG_YEAR), '--asn-table', asnTable, '--tor-list', torList, '--json',
    ]);
    const summary = JSON.parse(stdout) as { events: number; deadLettered: number; intel: { asnTable: string; torList: string } };
    expect(summary.events).toBe(events.length);
    expect(summary.deadLettered).toBe(badRecords);
    expect(summary.intel).toEqual({ asnTable, torList });
    expect(readFileSync(dlq, 'utf8').trim().split('\n')).toHaveLength(badRecords);

    const lines = readFileSync(out, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(lines).toHaveLength(events.length);
    for (const l of lines) {
      expect(Object.keys(l)).toEqual(['key', 'ts', 'eventId', 'featureVersion', 'vector']);
      expect(l.featureVersion).toBe(2);
      const v = l.vector as number[];
      expect(v).toHaveLength(100);
      expect(v.every((x) => typeof x === 'number' && Number.isFinite(x))).toBe(true);
    }
    const table = AsnTable.fromLines(asnLines);
    const tor = new TorExitSet([attacker]);
    const expected = new FeaturePipeline({ groups: createV2FeatureGroups({ sequenceModel: model, asnOf: (ip) => table.asnOf(ip), torList: tor }) }).replay(events);
    expect(lines.map((l) => l.vector)).toEqual(expected.map((v) => Array.from(v)));
    expect(lines.map((l) => [l.key, l.ts])).toEqual(events.map((e) => [e.srcIp, e.ts]));
    // The attacker's lines: a Tor exit (84 = 1) in a known AS without verdicts (83 = the prior 0.1).
    const attackerLines = lines.filter((l) => l.key === attacker).map((l) => l.vector as number[]);
    expect(attackerLines.length).toBeGreaterThan(0);
    expect(attackerLines.every((v) => v[83] === 1 && v[82] === 0.1)).toBe(true);
  });

  it('defaults to the shared ASN table and the Tor list closest to the first event; warns and falls back when a file is missing', async () => {
    const out = join(inputs.dir, 'cowrie.jsonl');
    const { stdout } = await vigil(['features', '--data', inputs.cowrie, '--out', out, '--json']);
    const summary = JSON.parse(stdout) as { intel: { asnTable: string; torList: string } };
    expect(summary.intel.asnTable).toBe(INTEL_FILE_DEFAULTS.asnTable);
    // Cowrie events of May 2018: the March 2018 list, not the 2024 one.
    expect(summary.intel.torList).toMatch(/secops_tor-exit-nodes_2018-03-13\.lst$/);

    const missing = join(inputs.dir, 'no-such-asn.csv');
    const result = await vigil(['features', '--data', inputs.cowrie, '--out', out, '--asn-table', missing, '--json']);
    expect(result.stderr).toContain(`ASN table ${missing} not found`);
    const lines = readFileSync(out, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as FeatureLine);
    expect(lines.every((l) => l.vector[82] === -1)).toBe(true);
  });
});
