import type { RedisConnection } from './connection';

/**
 * Workers can't be scraped one by one behind a load balancer (and scale up and down), so they add
 * their counts into Redis hashes and the API serves the fleet's totals on /metrics. Increments are
 * buffered in memory and flushed once a second in one pipeline: a busy crawl records thousands of
 * events a second, which must not become thousands of Redis round trips.
 */
export const JOB_DURATION_BUCKETS_SECONDS = [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300] as const;

/**
 * Every key starts with QUEUE_PREFIX, whose hash tag (`{pubcrawl}`) puts them in one Redis Cluster
 * slot: the flush is one pipeline, and ioredis refuses a Cluster pipeline whose keys span slots.
 */
export function metricKeys(prefix: string) {
  return {
    /** field `queue|outcome` → count */
    jobs: `${prefix}:metrics:jobs`,
    /** fields `queue|le` (cumulative bucket counts), `queue|sum`, `queue|count` */
    jobDuration: `${prefix}:metrics:job-duration`,
    /** field `upstream|endpoint|status` → count */
    upstream: `${prefix}:metrics:upstream`,
    /** fields `kind|waits`, `kind|ms` → quota denials and the wait they imposed */
    limiter: `${prefix}:metrics:limiter`,
    /** field `provider|event` → count: token refreshes and refusals, provider-wide pauses */
    provider: `${prefix}:metrics:provider`,
  };
}

export const FIELD_SEPARATOR = '|';

export class MetricsRecorder {
  readonly #redis: RedisConnection;
  readonly #keys: ReturnType<typeof metricKeys>;
  readonly #pending = new Map<string, Map<string, number>>();
  readonly #timer: NodeJS.Timeout;

  constructor(redis: RedisConnection, prefix: string, flushIntervalMs = 1_000) {
    this.#redis = redis;
    this.#keys = metricKeys(prefix);
    this.#timer = setInterval(() => void this.flush().catch(() => undefined), flushIntervalMs);
    this.#timer.unref();
  }

  #add(key: string, field: string, by: number): void {
    let fields = this.#pending.get(key);
    if (!fields) {
      fields = new Map();
      this.#pending.set(key, fields);
    }
    fields.set(field, (fields.get(field) ?? 0) + by);
  }

  jobFinished(queue: string, outcome: 'completed' | 'failed', durationSeconds: number | null): void {
    this.#add(this.#keys.jobs, [queue, outcome].join(FIELD_SEPARATOR), 1);
    if (durationSeconds === null) return;
    for (const bucket of JOB_DURATION_BUCKETS_SECONDS) {
      if (durationSeconds <= bucket) this.#add(this.#keys.jobDuration, [queue, String(bucket)].join(FIELD_SEPARATOR), 1);
    }
    this.#add(this.#keys.jobDuration, [queue, '+Inf'].join(FIELD_SEPARATOR), 1);
    this.#add(this.#keys.jobDuration, [queue, 'sum'].join(FIELD_SEPARATOR), durationSeconds);
    this.#add(this.#keys.jobDuration, [queue, 'count'].join(FIELD_SEPARATOR), 1);
  }

  upstreamResponse(upstream: string, endpoint: string, status: number | string): void {
    this.#add(this.#keys.upstream, [upstream, endpoint, String(status)].join(FIELD_SEPARATOR), 1);
  }

  quotaWait(scopeKind: string, waitMs: number): void {
    this.#add(this.#keys.limiter, [scopeKind, 'waits'].join(FIELD_SEPARATOR), 1);
    this.#add(this.#keys.limiter, [scopeKind, 'ms'].join(FIELD_SEPARATOR), waitMs);
  }

  providerEvent(provider: string, event: 'token_refreshed' | 'token_refresh_refused' | 'paused'): void {
    this.#add(this.#keys.provider, [provider, event].join(FIELD_SEPARATOR), 1);
  }

  async flush(): Promise<void> {
    if (this.#pending.size === 0) return;
    const batch = [...this.#pending.entries()];
    this.#pending.clear();
    const pipeline = this.#redis.pipeline();
    for (const [key, fields] of batch) {
      for (const [field, value] of fields) pipeline.hincrbyfloat(key, field, value);
    }
    await pipeline.exec();
  }

  async close(): Promise<void> {
    clearInterval(this.#timer);
    await this.flush().catch(() => undefined);
  }
}
