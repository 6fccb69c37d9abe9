import type { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/errors/vigil-error.js';
import { abuseIpdbFetch } from '../../src/intel/abuseipdb.js';
import { IntelError } from '../../src/intel/intel-errors.js';
import { parseRetryAfter } from '../../src/intel/http-json.js';
import { rdapRegistrationFetch } from '../../src/intel/rdap-domain.js';
import { RedisTtlCache } from '../../src/intel/redis-ttl-cache.js';
import { RemoteLookup, type RemoteLookupOptions } from '../../src/intel/remote-lookup.js';
import { fullBucket, takeToken } from '../../src/intel/token-bucket.js';
import { deleteKeys, randomPrefix, testClient } from '../store/redis-test-client.js';
import { startIntelTestServer, type IntelTestServer } from './intel-test-server.js';

let server: IntelTestServer;
const lookups: RemoteLookup[] = [];
const errors: IntelError[] = [];

beforeAll(async () => {
  server = await startIntelTestServer();
});
afterAll(() => server.close());
beforeEach(() => {
  server.requests.length = 0;
  server.scores = { '45.9.20.7': 90, '45.9.20.8': 35, '45.9.20.9': 0 };
  server.throttleNext = 0;
  server.failing.clear();
  errors.length = 0;
});
afterEach(async () => {
  await Promise.all(lookups.splice(0).map((l) => l.close()));
});

function abuseLookup(options: Partial<RemoteLookupOptions> = {}, apiKey = server.apiKey): RemoteLookup {
  const lookup = new RemoteLookup({
    name: 'abuseipdb',
    fetch: abuseIpdbFetch({ baseUrl: server.baseUrl, apiKey, timeoutMs: 2_000 }),
    requestsPerSecond: 1_000,
    burst: 10,
    onError: (e) => errors.push(e),
    ...options,
  });
  lookups.push(lookup);
  return lookup;
}

describe('token bucket', () => {
  it('spends the burst, then makes callers wait for the refill', () => {
    const rate = { perSecond: 10, burst: 2 };
    let bucket = fullBucket(rate, 0);
    const waits: number[] = [];
    for (const now of [0, 0, 0, 50, 100, 100]) {
      const taken = takeToken(bucket, rate, now);
      bucket = taken.bucket;
      waits.push(taken.waitMs);
    }
    // 2 tokens at t=0; the third waits 100 ms; at 50 ms half a token is back (wait 50);
    // at 100 ms one token: taken; the next must wait another 100 ms.
    expect(waits).toEqual([0, 0, 100, 50, 0, 100]);
  });
});

describe('AbuseIPDB-style provider behind RemoteLookup', () => {
  it('answers a miss as unknown at once, and the value after the asynchronous fill', async () => {
    const lookup = abuseLookup();
    expect(lookup.lookup('45.9.20.7')).toBeUndefined();
    expect(lookup.lookup('45.9.20.7')).toBeUndefined(); // asked twice, fetched once
    expect(server.requests).toHaveLength(0); // the filler never runs inside the caller's turn
    await lookup.whenIdle();
    expect(lookup.lookup('45.9.20.7')).toBe(0.9); // abuseConfidenceScore 90 / 100
    expect(server.requests.map((r) => r.key)).toEqual(['45.9.20.7']);
    expect(lookup.version).toBe(1);
    expect(lookup.stats()).toMatchObject({ hits: 1, misses: 2, fetched: 1, errors: 0 });
  });

  it('keeps to the request rate whatever the miss rate', async () => {
    const lookup = abuseLookup({ requestsPerSecond: 20, burst: 1 });
    const ips = ['45.9.20.7', '45.9.20.8', '45.9.20.9', '45.9.20.10', '45.9.20.11'];
    const start = performance.now();
    for (const ip of ips) lookup.lookup(ip);
    await lookup.whenIdle();
    const at = server.requests.map((r) => r.at - start);
    expect(at).toHaveLength(5);
    // 20 per second with a burst of 1: request i leaves no earlier than i·50 ms after the
    // first, so it arrives no earlier either, whatever the network delay of the ones before
    // (timers may round by ~1 ms).
    at.forEach((t, i) => expect(t, `request ${i}`).toBeGreaterThanOrEqual(i * 50 - 2));
    expect(ips.map((ip) => lookup.lookup(ip))).toEqual([0.9, 0.35, 0, 0, 0]);
  });

  it('pauses for Retry-After on a 429 and then fills the key', async () => {
    server.throttleNext = 1;
    server.retryAfter = '1';
    const lookup = abuseLookup();
    lookup.lookup('45.9.20.7');
    await lookup.whenIdle();
    const [refused, served] = server.requests;
    expect([refused?.status, served?.status]).toEqual([429, 200]);
    expect(served!.at - refused!.at).toBeGreaterThanOrEqual(990);
    expect(lookup.lookup('45.9.20.7')).toBe(0.9);
    expect(lookup.stats()).toMatchObject({ rateLimited: 1, fetched: 1, errors: 0 });
  });

  it('reports failures as typed errors and backs off the failed key', async () => {
    const badKey = abuseLookup({}, 'wrong-key');
    badKey.lookup('45.9.20.7');
    await badKey.whenIdle();
    expect(errors).toHaveLength(1);
    expect(errors[0]).toBeInstanceOf(IntelError);
    expect([errors[0]!.retriable, errors[0]!.message]).toEqual([false, expect.stringContaining('401')]);
    expect(badKey.lookup('45.9.20.7')).toBeUndefined();
    await badKey.whenIdle();
    expect(server.requests).toHaveLength(1); // still backing off: not asked again

    server.failing.add('45.9.20.8');
    const lookup = abuseLookup();
    lookup.lookup('45.9.20.8');
    await lookup.whenIdle();
    expect(errors[1]?.retriable).toBe(true); // a 500 may pass
    expect(lookup.stats().errors).toBe(1);
  });

  it('drops misses beyond maxQueued instead of growing without bound', async () => {
    const lookup = abuseLookup({ maxQueued: 2 });
    for (const ip of ['45.9.20.7', '45.9.20.8', '45.9.20.9', '45.9.20.10', '45.9.20.11']) lookup.lookup(ip);
    expect(lookup.stats().droppedQueueFull).toBe(3);
    await lookup.whenIdle();
    expect(server.requests.map((r) => r.key)).toEqual(['45.9.20.7', '45.9.20.8']);
  });

  it('expires answers after their TTL on its clock', async () => {
    let now = 1_000_000;
    const lookup = abuseLookup({ ttlMs: 60_000, now: () => now });
    lookup.lookup('45.9.20.7');
    await lookup.whenIdle();
    now += 59_999;
    expect(lookup.lookup('45.9.20.7')).toBe(0.9);
    now += 1;
    expect(lookup.lookup('45.9.20.7')).toBeUndefined(); // expired: a miss, refilled
    await lookup.whenIdle();
    expect(server.requests).toHaveLength(2);
  });

  it('stops filling on close', async () => {
    const lookup = abuseLookup({ requestsPerSecond: 1, burst: 1 });
    lookup.lookup('45.9.20.7');
    lookup.lookup('45.9.20.8'); // would wait a second for its token
    await new Promise((r) => setTimeout(r, 100));
    await lookup.close();
    lookup.lookup('45.9.20.9');
    await lookup.whenIdle();
    expect(server.requests.map((r) => r.key)).toEqual(['45.9.20.7']);
  });

  it('rejects bad settings at construction', () => {
    expect(() => abuseLookup({ ttlMs: 0 })).toThrow(ConfigError);
    expect(() => abuseLookup({ requestsPerSecond: 0 })).toThrow(ConfigError);
    expect(() => abuseIpdbFetch({ baseUrl: server.baseUrl, apiKey: '' })).toThrow(ConfigError);
  });

  it('reads Retry-After as seconds or an HTTP date', () => {
    expect(parseRetryAfter('120', 0)).toBe(120_000);
    expect(parseRetryAfter('Wed, 21 Oct 2015 07:28:10 GMT', Date.UTC(2015, 9, 21, 7, 28, 0))).toBe(10_000);
    expect(parseRetryAfter(null, 0)).toBeUndefined();
    expect(parseRetryAfter('soon', 0)).toBeUndefined();
  });
});

describe('RDAP registration provider', () => {
  it('answers the registration event date, and unknown for a 404', async () => {
    server.registrations = { 'evil.example': '2017-07-01T00:00:00Z' };
    const lookup = new RemoteLookup({ name: 'rdap', fetch: rdapRegistrationFetch({ baseUrl: `${server.baseUrl}/rdap` }), requestsPerSecond: 1_000, burst: 10 });
    lookups.push(lookup);
    lookup.lookup('evil.example');
    lookup.lookup('nobody.example');
    await lookup.whenIdle();
    expect(lookup.lookup('evil.example')).toBe(Date.UTC(2017, 6, 1));
    expect(lookup.lookup('nobody.example')).toBeUndefined(); // a cached "unknown": no new request
    await lookup.whenIdle();
    expect(server.requests.map((r) => [r.key, r.status])).toEqual([
      ['evil.example', 200],
      ['nobody.example', 404],
    ]);
  });
});

describe('Redis TTL cache shared by lookups', () => {
  let client: Redis;
  let prefix: string;
  beforeAll(() => {
    client = testClient();
    prefix = randomPrefix();
  });
  afterAll(async () => {
    await deleteKeys(client, prefix);
    client.disconnect();
  });

  it('stores answers with their TTL, and serves another process without asking the service', async () => {
    const cache = new RedisTtlCache({ client, keyPrefix: prefix, namespace: 'abuseipdb' });
    const first = abuseLookup({ cache, ttlMs: 5_000, negativeTtlMs: 2_000 });
    first.lookup('45.9.20.7');
    await first.whenIdle();
    expect(await client.get(cache.storageKey('45.9.20.7'))).toBe('0.9');
    const ttl = await client.pttl(cache.storageKey('45.9.20.7'));
    expect(ttl).toBeGreaterThan(4_000);
    expect(ttl).toBeLessThanOrEqual(5_000);

    const second = abuseLookup({ cache, ttlMs: 5_000 });
    expect(second.lookup('45.9.20.7')).toBeUndefined(); // its own memory is empty
    await second.whenIdle();
    expect(second.lookup('45.9.20.7')).toBe(0.9);
    expect(second.stats()).toMatchObject({ cacheHits: 1, fetched: 0 });
    expect(server.requests).toHaveLength(1);
  });

  it('caches "unknown" for the negative TTL, and lets keys expire', async () => {
    server.registrations = {};
    const cache = new RedisTtlCache({ client, keyPrefix: prefix, namespace: 'rdap' });
    const rdap = new RemoteLookup({ name: 'rdap', fetch: rdapRegistrationFetch({ baseUrl: `${server.baseUrl}/rdap` }), cache, negativeTtlMs: 150, requestsPerSecond: 1_000, burst: 10 });
    lookups.push(rdap);
    rdap.lookup('nobody.example');
    await rdap.whenIdle();
    expect(await client.get(cache.storageKey('nobody.example'))).toBe('null');
    expect(await cache.getMany(['nobody.example'])).toEqual([{ value: null, ttlMs: expect.any(Number) }]);
    await new Promise((r) => setTimeout(r, 250));
    expect(await client.get(cache.storageKey('nobody.example'))).toBeNull();
    expect(rdap.lookup('nobody.example')).toBeUndefined();
    await rdap.whenIdle();
    expect(server.requests.map((r) => r.key)).toEqual(['nobody.example', 'nobody.example']);
  });

  it('falls back to the service when the cache fails, reporting the failure', async () => {
    const broken = testClient();
    broken.disconnect();
    const cache = new RedisTtlCache({ client: broken, keyPrefix: prefix, namespace: 'abuseipdb' });
    const lookup = abuseLookup({ cache });
    lookup.lookup('45.9.20.8');
    await lookup.whenIdle();
    expect(lookup.lookup('45.9.20.8')).toBe(0.35);
    expect(errors.map((e) => [e.provider, e.retriable])).toEqual([
      ['redis-ttl-cache(abuseipdb)', true],
      ['redis-ttl-cache(abuseipdb)', true],
    ]);
  });
});
