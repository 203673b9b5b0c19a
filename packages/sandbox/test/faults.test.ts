import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startSandbox, type RunningSandbox } from '../src/index';
import { API_KEY, client, videoPost, type Api } from './helpers';
import type { TikapiError } from './wire';
import { toError } from '@pubcrawl/errors';

let sandbox: RunningSandbox;
let api: Api;

beforeAll(async () => {
  sandbox = await startSandbox({ port: 0, config: { quotaPerSecond: 0 }, seed: 7 });
  api = client(sandbox);
});
afterAll(() => sandbox.close());
beforeEach(() => sandbox.reset());

async function failureOf(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise;
  } catch (caught) {
    return toError(caught);
  }
  throw new Error('expected the request to fail');
}

describe('injected faults', () => {
  it('never answers a post whose media URL contains "hang", but counts it as received', async () => {
    const body = videoPost({ mediaItems: [{ url: 'https://cdn.example.test/hang.mp4' }] });
    const started = Date.now();
    const error = await failureOf(
      fetch(`${sandbox.url}/api/content/post`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'X-API-Key': API_KEY },
        body: JSON.stringify(body),
        signal: AbortSignal.timeout(200),
      }),
    );
    expect(error.name).toBe('TimeoutError');
    expect(Date.now() - started).toBeGreaterThanOrEqual(190);

    const stats = sandbox.stats();
    expect(stats.publishes).toEqual([{ accountId: 'acct_1', contentHash: expect.stringMatching(/^[0-9a-f]{64}$/), count: 1 }]);
    expect(stats.requests.byEndpoint['POST /api/content/post']).toEqual({ total: 1, byStatus: { hang: 1 } });
  });

  it('answers every request with 500 when errorRate is 1', async () => {
    sandbox.configure({ errorRate: 1 });
    for (const path of ['/public/check?username=user_1', '/api/content/accounts']) {
      const response = await api.get<TikapiError>(path, { 'X-API-KEY': API_KEY });
      expect(response.status).toBe(500);
      expect(response.body).toEqual({ status: 'error', message: 'Internal sandbox fault' });
    }
  });

  it('still checks auth and quota before injecting a fault', async () => {
    sandbox.configure({ errorRate: 1 });
    const response = await api.get<TikapiError>('/public/check?username=user_1', {});
    expect(response.status).toBe(401);
  });

  it('destroys the connection without a response when resetRate is 1', async () => {
    sandbox.configure({ resetRate: 1 });
    const error = await failureOf(api.get('/public/check?username=user_1'));
    expect(error.name).toBe('TypeError');
    expect(sandbox.stats().requests.byEndpoint['GET /public/check']?.byStatus).toEqual({ reset: 1 });
  });

  it('holds a hung request for hangMs, then drops the socket', async () => {
    sandbox.configure({ hangRate: 1, hangMs: 100 });
    const started = Date.now();
    const error = await failureOf(api.get('/public/check?username=user_1'));
    expect(error.name).toBe('TypeError');
    expect(Date.now() - started).toBeGreaterThanOrEqual(90);
  });

  it('delays answers by latencyMs', async () => {
    sandbox.configure({ latencyMs: 80 });
    const started = Date.now();
    const response = await api.get('/public/check?username=user_1');
    expect(response.status).toBe(200);
    expect(Date.now() - started).toBeGreaterThanOrEqual(75);
  });

  it('spreads faults over roughly the configured share of requests', async () => {
    sandbox.configure({ errorRate: 0.3 });
    const statuses = await Promise.all(Array.from({ length: 200 }, async () => (await api.get('/public/check?username=user_1')).status));
    const errors = statuses.filter((status) => status === 500).length;
    expect(errors).toBeGreaterThan(30);
    expect(errors).toBeLessThan(90);
  });
});
