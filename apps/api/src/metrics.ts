import { countCrawlItemsIngested, countCrawlsByStatus, countPostsByStatus } from '@pubcrawl/db';
import { FIELD_SEPARATOR, JOB_DURATION_BUCKETS_SECONDS, metricKeys } from '@pubcrawl/queue';
import { collectDefaultMetrics, Counter, Gauge, Registry, type Metric } from 'prom-client';
import type { App } from './app-type';
import { createKeyVerifier } from './auth';
import { bearerToken } from './bearer-token';
import type { AuthFailureLimiter } from './rate-limits';
import type { ApiContext } from './context';
import { ApiError } from './errors';

// BullMQ 6 has no 'paused' job state: a paused queue's jobs stay in 'waiting'.
const JOB_STATES = ['waiting', 'delayed', 'active', 'completed', 'failed', 'prioritized', 'waiting-children'] as const;

function splitField(field: string): string[] {
  return field.split(FIELD_SEPARATOR);
}

/**
 * A histogram whose buckets already live in Redis (added up by every worker). prom-client's
 * Histogram can only observe; this renders pre-aggregated buckets in the same exposition format.
 */
function redisHistogram(context: ApiContext, name: string, help: string): Metric {
  const key = metricKeys(context.env.QUEUE_PREFIX).jobDuration;
  return {
    name,
    help,
    type: 'histogram',
    aggregator: 'sum',
    async get() {
      const fields = await context.redis.hgetall(key);
      const values: Array<{ value: number; labels: Record<string, string | number>; metricName: string }> = [];
      const queues = new Set(Object.keys(fields).map((field) => splitField(field)[0] ?? ''));
      for (const queue of queues) {
        for (const bucket of [...JOB_DURATION_BUCKETS_SECONDS.map(String), '+Inf']) {
          values.push({ metricName: `${name}_bucket`, labels: { queue, le: bucket }, value: Number(fields[`${queue}${FIELD_SEPARATOR}${bucket}`] ?? 0) });
        }
        values.push({ metricName: `${name}_sum`, labels: { queue }, value: Number(fields[`${queue}${FIELD_SEPARATOR}sum`] ?? 0) });
        values.push({ metricName: `${name}_count`, labels: { queue }, value: Number(fields[`${queue}${FIELD_SEPARATOR}count`] ?? 0) });
      }
      return { name, help, type: 'histogram', values, aggregator: 'sum' } as unknown as Awaited<ReturnType<Metric['get']>>;
    },
    reset() {},
  } as unknown as Metric;
}

export function createMetricsRegistry(context: ApiContext): Registry {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'pubcrawl_api_' });
  const keys = metricKeys(context.env.QUEUE_PREFIX);

  new Gauge({
    name: 'pubcrawl_queue_jobs',
    help: 'Jobs per queue and state, read from BullMQ at scrape time',
    labelNames: ['queue', 'state'],
    registers: [registry],
    async collect() {
      this.reset();
      for (const [name, queue] of Object.entries(context.queues)) {
        const counts = await queue.getJobCounts(...JOB_STATES);
        for (const state of JOB_STATES) this.set({ queue: name, state }, counts[state] ?? 0);
      }
    },
  });

  new Counter({
    name: 'pubcrawl_jobs_total',
    help: 'Finished jobs per queue and outcome, across every worker',
    labelNames: ['queue', 'outcome'],
    registers: [registry],
    async collect() {
      this.reset();
      for (const [field, value] of Object.entries(await context.redis.hgetall(keys.jobs))) {
        const [queue = '', outcome = ''] = splitField(field);
        this.inc({ queue, outcome }, Number(value));
      }
    },
  });

  registry.registerMetric(redisHistogram(context, 'pubcrawl_job_duration_seconds', 'Job processing time per queue, across every worker'));

  new Counter({
    name: 'pubcrawl_upstream_requests_total',
    help: 'Upstream API requests by upstream, endpoint and HTTP status ("error" when no response came)',
    labelNames: ['upstream', 'endpoint', 'status'],
    registers: [registry],
    async collect() {
      this.reset();
      for (const [field, value] of Object.entries(await context.redis.hgetall(keys.upstream))) {
        const [upstream = '', endpoint = '', status = ''] = splitField(field);
        this.inc({ upstream, endpoint, status }, Number(value));
      }
    },
  });

  new Counter({
    name: 'pubcrawl_upstream_rate_limited_total',
    help: 'Upstream 429 answers by upstream',
    labelNames: ['upstream'],
    registers: [registry],
    async collect() {
      this.reset();
      for (const [field, value] of Object.entries(await context.redis.hgetall(keys.upstream))) {
        const [upstream = '', , status = ''] = splitField(field);
        if (status === '429') this.inc({ upstream }, Number(value));
      }
    },
  });

  const limiterFields = async () => Object.entries(await context.redis.hgetall(keys.limiter)).map(([field, value]) => [...splitField(field), value] as const);
  new Counter({
    name: 'pubcrawl_limiter_waits_total',
    help: 'Times the quota limiter made a job wait, by scope kind (apiKey | account)',
    labelNames: ['scope'],
    registers: [registry],
    async collect() {
      this.reset();
      for (const [scope = '', what, value] of await limiterFields()) if (what === 'waits') this.inc({ scope }, Number(value));
    },
  });
  new Counter({
    name: 'pubcrawl_limiter_wait_seconds_total',
    help: 'Time jobs were told to wait by the quota limiter, by scope kind',
    labelNames: ['scope'],
    registers: [registry],
    async collect() {
      this.reset();
      for (const [scope = '', what, value] of await limiterFields()) if (what === 'ms') this.inc({ scope }, Number(value) / 1000);
    },
  });

  new Counter({
    name: 'pubcrawl_provider_events_total',
    help: 'Provider events by provider and event: token_refreshed, token_refresh_refused (the account needs a new connect), paused (the provider refused every account, e.g. TikTok reached_active_user_cap)',
    labelNames: ['provider', 'event'],
    registers: [registry],
    async collect() {
      this.reset();
      for (const [field, value] of Object.entries(await context.redis.hgetall(keys.provider))) {
        const [provider = '', event = ''] = splitField(field);
        this.inc({ provider, event }, Number(value));
      }
    },
  });

  new Gauge({
    name: 'pubcrawl_posts',
    help: 'Posts by state (Postgres)',
    labelNames: ['status'],
    registers: [registry],
    async collect() {
      this.reset();
      const rows = await countPostsByStatus(context.db.db);
      for (const row of rows) this.set({ status: row.status }, row.count);
    },
  });

  new Gauge({
    name: 'pubcrawl_crawls',
    help: 'Crawls by state (Postgres)',
    labelNames: ['status'],
    registers: [registry],
    async collect() {
      this.reset();
      const rows = await countCrawlsByStatus(context.db.db);
      for (const row of rows) this.set({ status: row.status }, row.count);
    },
  });

  new Counter({
    name: 'pubcrawl_crawl_items_ingested_total',
    help: 'Crawled items committed to Postgres, over all crawls',
    registers: [registry],
    async collect() {
      this.reset();
      this.inc(await countCrawlItemsIngested(context.db.db));
    },
  });

  return registry;
}

export async function registerMetrics(app: App, context: ApiContext, authFailures: AuthFailureLimiter): Promise<void> {
  const registry = createMetricsRegistry(context);
  const verify = createKeyVerifier(context.env.API_KEYS);
  app.get('/metrics', { schema: { hide: true } }, async (request, reply) => {
    if (context.env.METRICS_REQUIRE_AUTH) {
      await authFailures.assertAllowed(request, reply);
      const token = bearerToken(request);
      if (token === null || !verify(token)) {
        if (token !== null) await authFailures.recordFailure(request);
        throw new ApiError(401, 'not_authenticated', 'Metrics require a bearer key');
      }
    }
    const body = await registry.metrics();
    return reply.type(registry.contentType).send(body);
  });
}
