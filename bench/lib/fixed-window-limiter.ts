import { RateLimiterRedis, RateLimiterRes } from 'rate-limiter-flexible';
import type { Redis } from 'ioredis';
import { DEFAULT_QUOTA_LIMITS, scopeId, type AcquireOptions, type QuotaDecision, type QuotaGate, type QuotaLimits, type QuotaScope } from '@pubcrawl/tiktok';
import { toError } from '@pubcrawl/errors';

export interface FixedWindowQuotaLimiterOptions {
  redis: Redis;
  keyPrefix?: string;
  limits?: Partial<QuotaLimits>;
}

/**
 * The rate-limiter-flexible (RateLimiterRedis, fixed window) version of the quota limiter. Not used
 * by workers, so it lives here rather than in @pubcrawl/tiktok: it is kept as the baseline
 * quota-goodput.ts measures QuotaLimiter against, so the reason we replaced it stays reproducible. Same contract: all-or-nothing acquire (refunds the
 * scopes it already took), fleet-wide block in Redis.
 */
export class FixedWindowQuotaLimiter implements QuotaGate {
  readonly #redis: Redis;
  readonly #prefix: string;
  readonly #apiKey: RateLimiterRedis;
  readonly #publish: RateLimiterRedis;
  readonly #status: RateLimiterRedis;
  readonly #creatorInfo: RateLimiterRedis;

  constructor(options: FixedWindowQuotaLimiterOptions) {
    const limits = { ...DEFAULT_QUOTA_LIMITS, ...options.limits };
    this.#redis = options.redis;
    this.#prefix = `${options.keyPrefix ?? '{pubcrawl}:quota'}:rlf`;
    const make = (name: string, points: number, duration: number) =>
      new RateLimiterRedis({ storeClient: options.redis, keyPrefix: `${this.#prefix}:${name}`, points, duration });
    this.#apiKey = make('apiKey', limits.apiKeyPerSecond, 1);
    this.#publish = make('publish', limits.publishPerMinute, 60);
    this.#status = make('status', limits.statusPerMinute, 60);
    this.#creatorInfo = make('creatorInfo', limits.creatorInfoPerMinute, 60);
  }

  /** Fixed windows cannot reserve a future slot, so `maxDelayMs` is ignored: grant now or deny. */
  async acquire(scopes: readonly QuotaScope[], _options?: AcquireOptions): Promise<QuotaDecision> {
    // rate-limiter-flexible's own block() floors to whole seconds (a 300 ms block would never
    // expire), so blocks live in plain keys with a millisecond TTL.
    const blocks = await this.#blocks(scopes);
    for (const [index, waitMs] of blocks.entries()) {
      const scope = scopes[index];
      if (scope !== undefined && waitMs > 0) return { granted: false, waitMs, scope };
    }
    const taken: QuotaScope[] = [];
    for (const scope of scopes) {
      const limiter = this.#limiter(scope);
      const rejection = await limiter.consume(scopeId(scope)).then(
        () => null,
        (reason: unknown) => (reason instanceof RateLimiterRes ? reason : Promise.reject(toError(reason))),
      );
      if (rejection !== null) {
        await Promise.all(taken.map((done) => this.#limiter(done).reward(scopeId(done), 1)));
        return { granted: false, waitMs: Math.max(1, rejection.msBeforeNext), scope };
      }
      taken.push(scope);
    }
    return { granted: true, delayMs: 0 };
  }

  async blockedMs(scopes: readonly QuotaScope[]): Promise<number> {
    return Math.max(0, ...(await this.#blocks(scopes)));
  }

  async #blocks(scopes: readonly QuotaScope[]): Promise<number[]> {
    if (scopes.length === 0) return [];
    const until = await this.#redis.mget(...scopes.map((scope) => this.#blockKey(scope)));
    const now = Date.now();
    return until.map((value) => (value === null ? 0 : Math.max(0, Number(value) - now)));
  }

  async block(scope: QuotaScope, ms: number): Promise<void> {
    if (!(ms > 0)) return;
    await this.#redis.set(this.#blockKey(scope), String(Date.now() + ms), 'PX', Math.ceil(ms));
  }

  async close(): Promise<void> {
    // The Redis client belongs to the caller.
  }

  #blockKey(scope: QuotaScope): string {
    return `${this.#prefix}:block:${scopeId(scope)}`;
  }

  #limiter(scope: QuotaScope): RateLimiterRedis {
    if (scope.kind === 'apiKey') return this.#apiKey;
    switch (scope.action) {
      case 'publish':
        return this.#publish;
      case 'status':
        return this.#status;
      case 'creatorInfo':
        return this.#creatorInfo;
    }
  }
}
