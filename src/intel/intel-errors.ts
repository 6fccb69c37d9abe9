import { VigilError } from '../errors/vigil-error.js';

/**
 * A threat-intelligence provider failed to answer: an HTTP service, its cache, or a feed
 * file. `provider` names which one (as configured), so one handler can route errors of many
 * providers. `retriable` says whether asking again later can help.
 */
export class IntelError extends VigilError {
  readonly provider: string;
  constructor(provider: string, message: string, options: { retriable?: boolean; cause?: unknown } = {}) {
    super(`${provider}: ${message}`, options);
    this.provider = provider;
  }
}

/**
 * The service refused for now (HTTP 429): wait `retryAfterMs` (from its Retry-After header,
 * or the provider's default) before the next request. Always retriable.
 */
export class IntelRateLimitError extends IntelError {
  readonly retryAfterMs: number;
  constructor(provider: string, retryAfterMs: number, options: { cause?: unknown } = {}) {
    super(provider, `rate limited by the service; retry after ${retryAfterMs} ms`, { ...options, retriable: true });
    this.retryAfterMs = retryAfterMs;
  }
}

/**
 * A feed file cannot be used at all (missing, unreadable, or without one valid line). Single
 * bad lines are counted by the loader instead, since real feeds carry a few.
 */
export class FeedFileError extends IntelError {
  readonly path: string;
  constructor(provider: string, path: string, message: string, options: { cause?: unknown } = {}) {
    super(provider, `${path}: ${message}`, { ...options, retriable: false });
    this.path = path;
  }
}
