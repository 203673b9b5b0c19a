import { MetricsRecorder } from '@pubcrawl/queue';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApi, type TestApi } from './harness';

function sample(body: string, series: string): number | undefined {
  const line = body.split('\n').find((candidate) => candidate.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

describe('GET /metrics', () => {
  let api: TestApi;
  let locked: TestApi;
  beforeAll(async () => {
    api = await startTestApi();
    locked = await startTestApi({ METRICS_REQUIRE_AUTH: 'true' });
  });
  afterAll(async () => {
    await api.close();
    await locked.close();
  });

  it('serves what workers recorded in Redis, and moves when they record more', async () => {
    const recorder = new MetricsRecorder(api.redis, api.env.QUEUE_PREFIX, 60_000);
    recorder.upstreamResponse('tikapi', 'GET /public/followers', 200);
    recorder.upstreamResponse('tikapi', 'GET /public/followers', 429);
    recorder.jobFinished('crawl-followers', 'completed', 0.2);
    recorder.quotaWait('apiKey', 1500);
    await recorder.flush();

    const first = (await api.app.inject({ method: 'GET', url: '/metrics' })).body;
    expect(sample(first, 'pubcrawl_upstream_requests_total{upstream="tikapi",endpoint="GET /public/followers",status="200"}')).toBe(1);
    expect(sample(first, 'pubcrawl_upstream_rate_limited_total{upstream="tikapi"}')).toBe(1);
    expect(sample(first, 'pubcrawl_jobs_total{queue="crawl-followers",outcome="completed"}')).toBe(1);
    expect(sample(first, 'pubcrawl_job_duration_seconds_bucket{queue="crawl-followers",le="0.25"}')).toBe(1);
    expect(sample(first, 'pubcrawl_job_duration_seconds_bucket{queue="crawl-followers",le="0.1"}')).toBe(0);
    expect(sample(first, 'pubcrawl_limiter_wait_seconds_total{scope="apiKey"}')).toBe(1.5);

    recorder.upstreamResponse('tikapi', 'GET /public/followers', 200);
    await recorder.close();
    const second = (await api.app.inject({ method: 'GET', url: '/metrics' })).body;
    expect(sample(second, 'pubcrawl_upstream_requests_total{upstream="tikapi",endpoint="GET /public/followers",status="200"}')).toBe(2);
  });

  it('reports queue depth per queue and state', async () => {
    await api.queues.publish.add('publish', { postId: '00000000-0000-4000-8000-000000000001', generation: 0 }, { delay: 60_000 });
    const body = (await api.app.inject({ method: 'GET', url: '/metrics' })).body;
    expect(sample(body, 'pubcrawl_queue_jobs{queue="publish",state="delayed"}')).toBe(1);
    expect(sample(body, 'pubcrawl_queue_jobs{queue="crawl-followers",state="waiting"}')).toBe(0);
  });

  it('requires a bearer key when METRICS_REQUIRE_AUTH is set', async () => {
    expect((await locked.app.inject({ method: 'GET', url: '/metrics' })).statusCode).toBe(401);
    expect((await locked.app.inject({ method: 'GET', url: '/metrics', headers: locked.auth })).statusCode).toBe(200);
  });
});
