import type { RunningSandbox } from '@pubcrawl/sandbox';
import { testSandbox, waitFor } from '@pubcrawl/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApiWorkers, startTestApi, type ApiWorkers, type TestApi } from './harness';
import { createAccount, publishElsewhere, QUICK_POLLING_ENV } from './publishing-fixtures';

describe('POST /v1/posts/track', () => {
  let api: TestApi;
  let sandbox: RunningSandbox;
  let workers: ApiWorkers;

  beforeAll(async () => {
    api = await startTestApi();
    sandbox = await testSandbox({ quotaPerSecond: 0, publishDurationMs: 300 });
    workers = startApiWorkers(api, sandbox, ['publish-status'], QUICK_POLLING_ENV);
  });
  afterAll(async () => {
    await workers?.stop();
    await sandbox?.close();
    await api?.close();
  });

  it('follows a publish made elsewhere to published, without ever sending it', async () => {
    const account = await createAccount(api);
    const publishId = await publishElsewhere(sandbox, account.externalId, 'https://cdn.example.com/elsewhere.mp4');

    const tracked = await api.app.inject({ method: 'POST', url: '/v1/posts/track', headers: api.auth, payload: { accountId: account.id, publishId } });
    expect(tracked.statusCode).toBe(202);
    expect(tracked.json()).toMatchObject({ status: 'processing', publishId, tracked: true, request: null, mediaType: null });

    const id = tracked.json().id as string;
    const done = await waitFor(
      async () => {
        const post = (await api.app.inject({ method: 'GET', url: `/v1/posts/${id}`, headers: api.auth })).json();
        return post.status === 'published' ? post : undefined;
      },
      { timeoutMs: 15_000 },
    );
    expect(done.publicUrl).toMatch(/^https:\/\/www\.tiktok\.com\//);
    expect(sandbox.stats().publishes.reduce((sum, entry) => sum + entry.count, 0)).toBe(1);

    const retry = await api.app.inject({ method: 'POST', url: `/v1/posts/${id}/retry`, headers: api.auth });
    expect(retry.statusCode).toBe(409);
  });

  it('ends a tracked publish that the provider reports FAILED as failed, with its reason', async () => {
    const account = await createAccount(api);
    const publishId = await publishElsewhere(sandbox, account.externalId, 'https://cdn.example.com/will-fail.mp4');
    const tracked = await api.app.inject({ method: 'POST', url: '/v1/posts/track', headers: api.auth, payload: { accountId: account.id, publishId } });
    const id = tracked.json().id as string;
    const failed = await waitFor(
      async () => {
        const post = (await api.app.inject({ method: 'GET', url: `/v1/posts/${id}`, headers: api.auth })).json();
        return post.status === 'failed' ? post : undefined;
      },
      { timeoutMs: 15_000 },
    );
    expect(failed.error.message).toMatch(/\S/);
    // Retrying could only send a request pubcrawl never had.
    expect((await api.app.inject({ method: 'POST', url: `/v1/posts/${id}/retry`, headers: api.auth })).statusCode).toBe(409);
  });

  it('tracks a publish id once, and names the field for an unknown account', async () => {
    const account = await createAccount(api);
    const payload = { accountId: account.id, publishId: `v_pub_url~v2.dup-${account.id}` };
    expect((await api.app.inject({ method: 'POST', url: '/v1/posts/track', headers: api.auth, payload })).statusCode).toBe(202);
    const again = await api.app.inject({ method: 'POST', url: '/v1/posts/track', headers: api.auth, payload });
    expect(again.statusCode).toBe(409);
    expect(again.json().error.fields).toEqual({ publishId: 'already tracked' });

    const unknown = await api.app.inject({
      method: 'POST',
      url: '/v1/posts/track',
      headers: api.auth,
      payload: { accountId: '00000000-0000-4000-8000-000000000000', publishId: 'x' },
    });
    expect(unknown.statusCode).toBe(400);
    expect(unknown.json().error.fields).toHaveProperty('accountId');
  });
});
