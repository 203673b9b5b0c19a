import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { DEFAULT_CONFIG, startSandbox, type RunningSandbox, type SandboxConfig, type SandboxStats } from '../src/index';
import { API_KEY, client, query, secUidOf, videoPost, type Api } from './helpers';
import type { FollowersResponse } from './wire';

let sandbox: RunningSandbox;
let api: Api;

beforeAll(async () => {
  sandbox = await startSandbox({ port: 0, config: { quotaPerSecond: 100, publishDurationMs: 50 } });
  api = client(sandbox);
});
afterAll(() => sandbox.close());
beforeEach(() => sandbox.reset());

const adminStats = async () => (await api.get<SandboxStats>('/__sandbox/stats', {})).body;

describe('the admin API', () => {
  it('counts requests by endpoint pattern and status, and leaves itself out', async () => {
    await api.get('/public/check?username=user_1');
    await api.get('/public/check?username=nobody');
    await api.get('/public/check?username=user_2', {});
    await api.post('/api/content/post', videoPost());
    await api.get('/api/content/status/acct_1/v_pub_url~v2.0', { 'X-API-Key': API_KEY });
    await api.get('/__sandbox/config', {});

    const stats = await adminStats();
    expect(stats.requests.byEndpoint).toEqual({
      'GET /public/check': { total: 3, byStatus: { '200': 1, '403': 1, '401': 1 } },
      'POST /api/content/post': { total: 1, byStatus: { '200': 1 } },
      'GET /api/content/status/:accountId/:publishId': { total: 1, byStatus: { '404': 1 } },
    });
    expect(stats).toEqual(sandbox.stats());
  });

  it('counts how often each exact page was served, so refetches are visible', async () => {
    const secUid = await secUidOf(api, 'user_40');
    const first = await api.get<FollowersResponse>(`/public/followers?${query({ secUid })}`);
    await api.get(`/public/followers?${query({ secUid, nextCursor: first.body.nextCursor })}`);
    await api.get(`/public/followers?${query({ secUid, nextCursor: first.body.nextCursor })}`);
    await api.get(`/public/followers?${query({ secUid, count: 31 })}`);

    expect((await adminStats()).pages).toEqual({
      [`GET /public/followers secUid=${secUid}&cursor=`]: 1,
      [`GET /public/followers secUid=${secUid}&cursor=${first.body.nextCursor}`]: 2,
    });
  });

  it('reset clears stats, publishes, expired keys, quota and config', async () => {
    await api.post('/api/content/post', videoPost());
    sandbox.expireAccount('acct_1');
    sandbox.configure({ quotaPerSecond: 1, burst: 1, errorRate: 0.5 });
    await api.get('/public/check?username=user_1');

    const reset = await api.post('/__sandbox/reset', undefined, { 'content-type': 'application/json' });
    expect(reset.body).toEqual({ ok: true });
    expect(await adminStats()).toEqual({ requests: { byEndpoint: {} }, publishes: [], pages: {} });
    const config = await api.get<SandboxConfig>('/__sandbox/config', {});
    expect(config.body).toEqual({ ...DEFAULT_CONFIG, quotaPerSecond: 100, publishDurationMs: 50 });
    expect((await api.get('/public/check?username=user_1')).status).toBe(200);
    expect((await api.get('/public/check?username=user_1')).status).toBe(200);
    expect((await api.post('/api/content/post', videoPost())).status).toBe(200);
  });

  it('updates any subset of the config and returns all of it', async () => {
    const updated = await api.put<SandboxConfig>('/__sandbox/config', {
      latencyMs: 5,
      accountLimits: { publishPerMinute: 3 },
    });
    expect(updated.status).toBe(200);
    expect(updated.body).toMatchObject({
      latencyMs: 5,
      quotaPerSecond: 100,
      accountLimits: { publishPerMinute: 3, statusPerMinute: 30, creatorInfoPerMinute: 20 },
    });
    expect((await api.get<SandboxConfig>('/__sandbox/config', {})).body).toEqual(updated.body);

    const cleared = await api.put<SandboxConfig>('/__sandbox/config', { accountLimits: null, burst: 7 });
    expect(cleared.body).toMatchObject({ accountLimits: null, burst: 7 });
  });

  it.each([
    [{ errorRate: 2 }, 'errorRate'],
    [{ hangMs: -1 }, 'hangMs'],
    [{ latencyMs: 'slow' }, 'latencyMs'],
    [{ accountLimits: { statusPerMinute: 0 } }, 'accountLimits.statusPerMinute'],
    [{ surprise: true }, 'surprise'],
  ])('rejects %j with a 400 naming %s', async (patch, field) => {
    const response = await api.put<{ ok: boolean; field: string }>('/__sandbox/config', patch);
    expect(response.status).toBe(400);
    expect(response.body).toMatchObject({ ok: false, field });
  });

  it('throws from configure() on values the admin API would reject', () => {
    expect(() => sandbox.configure({ resetRate: -0.1 })).toThrow(/resetRate/);
  });
});
