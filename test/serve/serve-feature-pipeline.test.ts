/**
 * `vigil serve` with a model of feature version 2: the compiled CLI against the real broker
 * and Redis scores every flow through the feature pipeline (per-source state in Redis, one
 * Kafka transaction per micro-batch), and each verdict is what the model gives the row
 * `vigil evaluate` builds for that flow from the same stream.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMO_SAMPLE } from '../../src/cli/commands/detect.js';
import { loadLabeledFlows } from '../../src/datasets/labeled-flows.js';
import { loadFlowClassifier } from '../../src/ensemble/load-flow-classifier.js';
import { THREAT_CLASSES } from '../../src/events/threat-classes.js';
import { initBackend } from '../../src/inference/backend.js';
import { PACKAGE_ROOT } from '../../src/paths.js';
import { decodeSnapshot } from '../../src/store/source-state-store.js';
import { randomName, waitFor } from '../kafka/broker.js';
import { collectVerdicts, produceFlows, realFlows, spawnServe, stateArgs, useServeFixture } from './serve-harness.js';

const run = promisify(execFile);
const root = mkdtempSync(join(tmpdir(), 'vigil-serve-fv2-'));
const modelDir = join(root, 'models', 'fv2');
const fixture = useServeFixture('vigil-serve-fv2', 1);
const { kafka, topics, running } = fixture;

beforeAll(async () => {
  await initBackend();
  await run(process.execPath, [join(PACKAGE_ROOT, 'bin', 'vigil.js'), 'train', '--feature-version', '2', '--data', DEMO_SAMPLE, '--version', 'fv2', '--models-dir', join(root, 'models'), '--max-epochs', '2', '--backend', 'wasm'], { cwd: PACKAGE_ROOT });
}, 120_000);

afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('vigil serve, a feature-version-2 model', () => {
  it('scores each flow through the feature pipeline with per-source state in Redis: each verdict is the model on the row evaluate builds', async () => {
    // Every flow of the sample in file order, on one partition: the stream the rows below replay.
    const flows = await realFlows(2926);
    await produceFlows(kafka, topics.flows, flows);
    const keyPrefix = fixture.statePrefix();
    const groupId = randomName('vigil-serve-fv2-group');
    const transactionalId = `${groupId}-engine-0`;
    const serve = spawnServe([
      '--model', modelDir, '--group', groupId, '--input-topic', topics.flows, '--verdict-topic', topics.verdicts,
      '--dlq-topic', topics.dlq, ...stateArgs(keyPrefix), '--backend', 'wasm', '--transactional-id', transactionalId,
    ]);
    running.push(serve);
    await serve.started;
    const verdicts = await collectVerdicts(kafka, topics.verdicts);
    try {
      await waitFor(`${flows.length} verdicts`, () => verdicts.received.length >= flows.length, 60_000);
    } finally {
      await verdicts.close();
    }
    serve.child.kill('SIGTERM');
    const { code, result } = await serve.exited;
    expect(code, serve.stderr.join('\n')).toBe(0);

    const rows = await loadLabeledFlows([DEMO_SAMPLE], undefined, { featureVersion: 2 });
    const classifier = await loadFlowClassifier(modelDir);
    const expected = classifier.predictBatch(rows.x, rows.rows).predicted;
    classifier.dispose();
    const byEvent = new Map(verdicts.received.map(({ verdict }) => [verdict.eventKey, verdict]));
    expect(byEvent.size).toBe(flows.length);
    flows.forEach((f, i) => expect(byEvent.get(f.eventId)).toMatchObject({ modelVersion: 'fv2', featureVersion: 2, class: THREAT_CLASSES[expected[i]!] }));

    // Exactly once (the default): each micro-batch's verdicts and offsets committed in one transaction.
    expect(result).toMatchObject({ events: flows.length, model: 'fv2', delivery: 'exactly-once', state: { store: 'redis', keyPrefix } });
    expect(result!.transactions!.commits).toBeGreaterThan(0);
    const sources = new Set(flows.map((f) => f.srcIp)).size;
    expect(result!.state.sources).toMatchObject({ fresh: sources });
    expect(result!.state.sources!.saved).toBeGreaterThanOrEqual(sources);
    expect(await fixture.redis.exists(`${keyPrefix}source_state:${flows[0]!.srcIp}`)).toBe(1);
    // A clean stop checkpoints the graph under the instance's transactional id, for its next start.
    expect(result!.state.globalStates).toBe('fresh');
    expect(result!.state.sources!.staleSkipped).toBe(0);
    const checkpoint = await fixture.redis.get(`${keyPrefix}source_state:@global:${transactionalId}`);
    expect(checkpoint).not.toBeNull();
    expect(decodeSnapshot(checkpoint!, 'checkpoint').layout).toMatch(/global=.*communication_graph/);
  }, 120_000);
});
