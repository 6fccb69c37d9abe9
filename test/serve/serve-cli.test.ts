/**
 * `vigil serve` as an operator runs it: the compiled CLI in a child process against the real
 * broker, real CICIDS2017 flows in, verdicts of the shipped model out, SIGTERM to stop.
 */
import { describe, expect, it } from 'vitest';
import { defaultModelVersion } from '../../src/registry/resolve-model.js';
import { classOfLabel } from '../../src/events/threat-classes.js';
import { committedOffsets, produce, randomName, readRecords, waitFor } from '../kafka/broker.js';
import { collectVerdicts, endOffsets, produceFlows, realFlows, spawnServe, useServeFixture, verdictCounts } from './serve-harness.js';

const N = 1500;
const PARTITIONS = 4;
const { kafka, topics, running } = useServeFixture('vigil-serve', PARTITIONS);

describe('vigil serve', () => {
  it('scores every flow of a 4-partition topic once with the registry\'s current model, keyed by source IP, dead-letters bad input, and on SIGTERM drains, commits the end of every partition and exits 0', async () => {
    const flows = await realFlows(N);
    await produceFlows(kafka, topics.flows, flows);
    await produce(kafka, topics.flows, [{ key: 'bad', value: '{"truncated":' }]);
    const groupId = randomName('vigil-serve-group');
    const serve = spawnServe([
      '--group', groupId, '--input-topic', topics.flows, '--verdict-topic', topics.verdicts, '--dlq-topic', topics.dlq,
      '--partitions', String(PARTITIONS), '--summary-interval-ms', '500',
    ]);
    running.push(serve);
    // The verdict topic is serve's to create: subscribing earlier would auto-create it.
    await serve.started;
    const verdicts = await collectVerdicts(kafka, topics.verdicts);
    try {
      await waitFor(`${N} verdicts`, () => verdicts.received.length >= N, 30_000);
    } finally {
      await verdicts.close();
    }

    const counts = verdictCounts(verdicts.received);
    expect([...counts.keys()].sort()).toEqual(flows.map((f) => f.eventId).sort());
    expect([...counts.values()].every((n) => n === 1)).toBe(true);
    for (const { key, verdict } of verdicts.received) {
      expect(verdict.modelVersion).toBe(defaultModelVersion());
      expect(key).toBe(verdict.srcIp);
    }
    // The shipped model on real labelled flows: a wiring mistake (wrong features, shuffled
    // rows) would show up as chance-level agreement (~1/7), not as an error.
    const truth = new Map(flows.map((f) => [f.eventId, f.label === null ? undefined : classOfLabel(f.label)]));
    const agree = verdicts.received.filter(({ verdict }) => truth.get(verdict.eventKey) === verdict.class).length;
    expect(agree / N).toBeGreaterThan(0.95);
    // A progress line every 500 ms while it runs: at least one comes, however fast the flows went.
    await waitFor('a progress report', () => serve.progress.length > 0, 10_000);

    serve.child.kill('SIGTERM');
    const { code, result } = await serve.exited;
    expect(code, serve.stderr.join('\n')).toBe(0);
    expect(result).toMatchObject({ events: N, deadLettered: 1, deadLetterReasons: { 'bad-json': 1 }, model: defaultModelVersion(), groupId, stop: { undrainedBatches: 0 } });
    const [dead] = await readRecords(kafka, topics.dlq, 1);
    expect(JSON.parse(dead!.value.toString('utf8'))).toMatchObject({ code: 'bad-json', topic: topics.flows, raw: '{"truncated":' });
    const ends = await endOffsets(kafka, topics.flows);
    expect(Object.keys(ends)).toHaveLength(PARTITIONS);
    expect(Object.values(ends).every((end) => Number(end) > 0), 'every partition holds flows').toBe(true);
    expect(await committedOffsets(kafka, groupId, topics.flows)).toEqual(ends);
  });

  it('refuses bad settings before touching Kafka: exit 1, naming the flag and the variable to change', async () => {
    const serve = spawnServe(['--brokers', 'kafka', '--input-topic', 'flows', '--verdict-topic', 'flows']);
    const { code } = await serve.exited;
    const stderr = serve.stderr.join('\n');
    expect(code).toBe(1);
    expect(stderr).toContain('ConfigError');
    expect(stderr).toContain('brokers[0] (--brokers or VIGIL_KAFKA_BROKERS): write each broker as host:port');
    expect(stderr).toContain('verdictTopic (--verdict-topic or VIGIL_VERDICT_TOPIC): must differ from every input topic');
  });
});
