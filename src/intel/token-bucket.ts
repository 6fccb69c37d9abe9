import { ConfigError } from '../errors/vigil-error.js';

/**
 * A token bucket: requests spend one token each, tokens come back at `perSecond` up to
 * `burst`, so at most `burst + perSecond·t` requests go out in any span of t seconds. Pure:
 * the caller passes the time and keeps the returned bucket.
 */
export interface TokenBucketRate {
  readonly perSecond: number;
  readonly burst: number;
}

export interface TokenBucket {
  readonly tokens: number;
  /** When `tokens` was computed, ms on the caller's clock. */
  readonly at: number;
}

export function checkRate(rate: TokenBucketRate, where: string): TokenBucketRate {
  if (!(rate.perSecond > 0) || !Number.isFinite(rate.perSecond)) {
    throw new ConfigError(`${where}: requestsPerSecond must be a positive number, got ${rate.perSecond}`);
  }
  if (!Number.isInteger(rate.burst) || rate.burst < 1) throw new ConfigError(`${where}: burst must be an integer >= 1, got ${rate.burst}`);
  return rate;
}

/** A full bucket at `now`. */
export function fullBucket(rate: TokenBucketRate, now: number): TokenBucket {
  return { tokens: rate.burst, at: now };
}

/**
 * Tries to take one token at `now`: `waitMs` 0 and the emptier bucket if one was there,
 * else how long until one will be (and the bucket unchanged but for the refill).
 */
export function takeToken(bucket: TokenBucket, rate: TokenBucketRate, now: number): { bucket: TokenBucket; waitMs: number } {
  const elapsed = Math.max(0, now - bucket.at);
  const tokens = Math.min(rate.burst, bucket.tokens + (elapsed * rate.perSecond) / 1000);
  if (tokens >= 1) return { bucket: { tokens: tokens - 1, at: now }, waitMs: 0 };
  return { bucket: { tokens, at: now }, waitMs: Math.ceil(((1 - tokens) * 1000) / rate.perSecond) };
}
