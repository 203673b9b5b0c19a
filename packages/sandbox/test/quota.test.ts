import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startSandbox, type RunningSandbox } from '../src/index';
import { client, sleep, type Api } from './helpers';
import type { PostingError, TikapiError } from './wire';

let sandbox: RunningSandbox;
let api: Api;

beforeAll(async () => {
  // A slow refill keeps counts exact even when a loaded machine takes a while over a few requests.
  sandbox = await startSandbox({ port: 0, config: { quotaPerSecond: 2, burst: 5 } });
  api = client(sandbox);
});
afterAll(() => sandbox.close());
beforeEach(() => sandbox.reset());

const check = (key: string) => api.get<TikapiError>('/public/check?username=user_1', { 'X-API-KEY': key });

describe('the per-key quota', () => {
  it('answers 429 with Retry-After once the bucket is empty, then recovers', async () => {
    let limited = await check('quota-a');
    let allowed = 0;
    while (limited.status === 200 && allowed < 10) {
      allowed++;
      limited = await check('quota-a');
    }
    expect(allowed).toBeGreaterThanOrEqual(5);
    expect(limited.status).toBe(429);
    expect(limited.body).toEqual({ status: 'error', message: 'API Key Rate-Limit reached.' });
    expect(limited.headers.get('retry-after')).toBe('1');
    const resetMs = Number(limited.headers.get('x-ratelimit-reset-ms'));
    expect(resetMs).toBeGreaterThan(0);
    expect(resetMs).toBeLessThanOrEqual(500);

    await sleep(resetMs + 20);
    expect((await check('quota-a')).status).toBe(200);
  });

  it('keeps one bucket per API key, shared by both APIs', async () => {
    sandbox.configure({ quotaPerSecond: 0.1, burst: 5 });
    for (let index = 0; index < 5; index++) expect((await check('quota-b')).status).toBe(200);
    expect((await check('quota-c')).status).toBe(200);

    const posting = await api.get<PostingError>('/api/content/accounts', { 'X-API-Key': 'quota-b' });
    expect(posting.status).toBe(429);
    expect(posting.body).toEqual({ success: false, error: 'Rate limit exceeded', code: 'rate_limit_exceeded' });
    const retryAfter = posting.headers.get('retry-after');
    const resetMs = Number(posting.headers.get('x-ratelimit-reset-ms'));
    expect(retryAfter).toMatch(/^\d+$/);
    expect(Number(retryAfter)).toBe(Math.max(1, Math.ceil(resetMs / 1000)));
  });

  it('lets exactly one burst through a flood of concurrent requests', async () => {
    sandbox.configure({ quotaPerSecond: 1, burst: 50 });
    const statuses = await Promise.all(Array.from({ length: 120 }, () => check('quota-flood').then((response) => response.status)));
    const ok = statuses.filter((status) => status === 200).length;
    expect(ok).toBeGreaterThanOrEqual(50);
    expect(ok).toBeLessThanOrEqual(52);
    expect(statuses.filter((status) => status === 429)).toHaveLength(120 - ok);
  });

  it('empties after exactly burst requests', async () => {
    sandbox.configure({ quotaPerSecond: 0.5, burst: 2 });
    expect((await check('quota-d')).status).toBe(200);
    expect((await check('quota-d')).status).toBe(200);
    expect((await check('quota-d')).status).toBe(429);
  });

  it('treats a quota of zero as unlimited', async () => {
    sandbox.configure({ quotaPerSecond: 0 });
    const statuses = await Promise.all(Array.from({ length: 40 }, () => check('quota-e').then((response) => response.status)));
    expect(new Set(statuses)).toEqual(new Set([200]));
  });

  it('does not charge requests without an API key', async () => {
    const response = await api.get<TikapiError>('/public/check?username=user_1', {});
    expect(response.status).toBe(401);
  });
});
