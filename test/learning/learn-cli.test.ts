/**
 * `vigil learn` as an operator runs it: settings from flags over environment (zod, every
 * problem naming its flag and variable), and the real process on the real Kafka and Redis
 * with an embedded offline store: it starts, and on SIGTERM it drains and exits 0 with the
 * collector's counters.
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/errors/vigil-error.js';
import { LEARN_DEFAULTS, LEARN_SETTING_SOURCES, learnSettingsFromEnv, parseLearnSettings } from '../../src/learning/learn-settings.js';
import { PACKAGE_ROOT } from '../../src/paths.js';
import { SqliteOfflineStore } from '../../src/store/sqlite/sqlite-offline-store.js';
import { BROKERS, deleteTopics, ensureBroker, randomName, testKafka } from '../kafka/broker.js';
import { deleteKeys, REDIS_URL, testClient } from '../store/redis-test-client.js';

const VIGIL = join(PACKAGE_ROOT, 'bin', 'vigil.js');

describe('learn settings', () => {
  it('takes flags over environment over defaults, and splits lists and numbers from the environment', () => {
    const env = learnSettingsFromEnv({
      VIGIL_KAFKA_BROKERS: 'a:9092, b:9093',
      VIGIL_BASE_DATA: 'base.csv',
      VIGIL_HOLDOUT_DATA: 'holdout.csv',
      VIGIL_RETRAIN_MIN_SAMPLES: '50',
      VIGIL_LABELS_TOPIC: 'from-env',
    });
    const s = parseLearnSettings(env, { labelsTopic: 'from-flag', groupId: undefined });
    expect(s).toMatchObject({ brokers: ['a:9092', 'b:9093'], baseData: ['base.csv'], holdoutData: ['holdout.csv'], minNewSamples: 50, labelsTopic: 'from-flag' });
    expect(s.groupId).toBe(LEARN_DEFAULTS.groupId);
    expect(s.minF1Gain).toBe(0.02);
    expect(s.offlineStore).toBe(LEARN_DEFAULTS.offlineStore);
  });

  it('reads every setting from a VIGIL_* variable of its own, as the help says', () => {
    const names = Object.values(LEARN_SETTING_SOURCES).map((source) => source.env);
    for (const name of names) expect(name).toMatch(/^VIGIL_[A-Z0-9_]+$/);
    expect(new Set(names).size).toBe(names.length);
    const s = parseLearnSettings(
      learnSettingsFromEnv({ VIGIL_BASE_DATA: 'b.csv', VIGIL_HOLDOUT_DATA: 'h.csv', VIGIL_RETRAIN_SEED: '7', VIGIL_PROMOTION_MIN_F1_GAIN: '0.05', VIGIL_PROMOTION_MAX_RECALL_DROP: '0.02', VIGIL_BACKEND: 'cpu' }),
      {},
    );
    expect(s).toMatchObject({ seed: 7, minF1Gain: 0.05, maxRecallDrop: 0.02, backend: 'cpu' });
  });

  it('reads hidden widths as numbers from a flag or the environment, flag first, and refuses a width that is not one', () => {
    const files = { baseData: ['b.csv'], holdoutData: ['h.csv'] };
    expect(parseLearnSettings({}, files).hidden).toBeUndefined();
    const env = learnSettingsFromEnv({ VIGIL_RETRAIN_HIDDEN: '512, 256' });
    expect(parseLearnSettings(env, files).hidden).toEqual([512, 256]);
    expect(parseLearnSettings(env, { ...files, hidden: ['64', '32'] }).hidden).toEqual([64, 32]);
    for (const bad of [['wide'], ['128', '0'], ['12.5']]) {
      expect(() => parseLearnSettings({}, { ...files, hidden: bad })).toThrow(/hidden \(--hidden or VIGIL_RETRAIN_HIDDEN\)/);
    }
  });

  it('names the flag and the variable of every bad setting', () => {
    const bad = () => parseLearnSettings(learnSettingsFromEnv({ VIGIL_RETRAIN_MIN_SAMPLES: 'many' }), { holdoutData: ['h.csv'], redisUrl: '127.0.0.1:6379' });
    expect(bad).toThrow(ConfigError);
    expect(bad).toThrow(/baseData \(--base-data or VIGIL_BASE_DATA\): name at least one base training file/);
    expect(bad).toThrow(/minNewSamples \(--min-new-samples or VIGIL_RETRAIN_MIN_SAMPLES\)/);
    expect(bad).toThrow(/redisUrl \(--redis or VIGIL_REDIS_URL\): write the Redis address as a URL/);
    expect(() => parseLearnSettings({}, { baseData: ['x.csv'], holdoutData: ['x.csv'] })).toThrow(/the hold-out must not also be base training data/);
  });
});

describe('vigil learn (process)', () => {
  const kafka = testKafka();
  const topics = { labels: randomName('vigil-test-learn-cli'), dlq: randomName('vigil-test-learn-cli-dlq') };
  const prefix = `vigil-test-${randomBytes(5).toString('hex')}`;
  let dir: string;
  beforeAll(async () => {
    await ensureBroker();
    dir = mkdtempSync(join(tmpdir(), 'vigil-learn-cli-'));
  }, 180_000);
  afterAll(async () => {
    await deleteTopics(kafka, Object.values(topics));
    const redis = testClient();
    await deleteKeys(redis, prefix);
    redis.disconnect();
    rmSync(dir, { recursive: true, force: true });
  });

  it('starts, creates its topics and tables, and on SIGTERM stops cleanly with its counters', async () => {
    // Files need only exist until a retrain runs; none does here (the threshold is not reached).
    for (const name of ['base.csv', 'holdout.csv']) writeFileSync(join(dir, name), '');
    const storePath = join(dir, 'offline.sqlite');
    const args = [
      VIGIL, 'learn', '--brokers', BROKERS.join(','), '--labels-topic', topics.labels, '--dlq-topic', topics.dlq,
      '--group', randomName('vigil-test-learn-cli'), '--redis', REDIS_URL, '--queue-prefix', prefix, '--offline-store', storePath,
      '--models-dir', dir, '--base-data', join(dir, 'base.csv'), '--holdout-data', join(dir, 'holdout.csv'), '--check-every-ms', '200',
    ];
    const child = spawn(process.execPath, args, { cwd: PACKAGE_ROOT, env: { ...process.env, VIGIL_LOG_LEVEL: 'warn' }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    const deadline = Date.now() + 60_000;
    while (!stderr.includes('learn: started') && child.exitCode === null && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    expect(stderr).toContain(`learn: started, labels from ${topics.labels}`);

    child.kill('SIGTERM');
    expect(await exited).toBe(0);
    expect(stderr).toContain('learn: SIGTERM, stopping');
    expect(JSON.parse(stdout.trim())).toEqual({ collector: { batches: 0, records: 0, collected: 0, unknownEvent: 0, bad: 0, bySource: {} } });

    const store = new SqliteOfflineStore({ path: storePath });
    try {
      expect((await store.appliedMigrations()).map((m) => m.name)).toContain('005_create_retrain_runs');
    } finally {
      await store.close();
    }
  }, 90_000);
});
