import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { parseEnv } from '@pubcrawl/config';
import { createLogger } from '@pubcrawl/logger';
import { publishContentHash } from '@pubcrawl/sandbox';
import { testSandbox, waitFor } from '@pubcrawl/testing';
import { createWorkerContext, startReconcilers, startWorkers, verifyWebhookSignature, workerEnvSchema, type WorkerContext } from '@pubcrawl/worker';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApi, type TestApi } from './harness';
import { createAccount, videoBody } from './publishing-fixtures';

const SECRET = 'e2e-webhook-secret-0123456789';

interface PostView {
  id: string;
  status: string;
  waiting: { reason: string; until: string | null } | null;
  publishId: string | null;
  request: { content: string; mediaItems: Array<{ url: string }> };
}

describe('publishing end to end: API, workers and sandbox, with an account whose session expires', () => {
  let api: TestApi;
  let sandbox: Awaited<ReturnType<typeof testSandbox>>;
  let worker: { context: WorkerContext; stop(): Promise<void> };
  const hooks: Array<{ event: string; signature: string; body: string }> = [];
  let receiver: ReturnType<typeof createServer>;

  beforeAll(async () => {
    receiver = createServer((request, response) => {
      const chunks: Buffer[] = [];
      request.on('data', (chunk: Buffer) => chunks.push(chunk));
      request.on('end', () => {
        hooks.push({ event: String(request.headers['x-pubcrawl-event']), signature: String(request.headers['x-pubcrawl-signature']), body: Buffer.concat(chunks).toString('utf8') });
        response.end('ok');
      });
    });
    await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
    api = await startTestApi();
    sandbox = await testSandbox({ quotaPerSecond: 0, accountLimits: null, publishDurationMs: 300 });
    const env = parseEnv(workerEnvSchema, {
      NODE_ENV: 'test',
      DATABASE_URL: api.env.DATABASE_URL,
      REDIS_URL: api.env.REDIS_URL,
      QUEUE_PREFIX: api.env.QUEUE_PREFIX,
      TIKAPI_BASE_URL: sandbox.url,
      TIKAPI_API_KEY: 'e2e-key',
      POSTING_BASE_URL: sandbox.url,
      POSTING_API_KEY: 'e2e-key',
      TIKAPI_REQUESTS_PER_SECOND: '10000',
      POSTING_REQUESTS_PER_SECOND: '10000',
      ACCOUNT_PUBLISH_PER_MINUTE: '10000',
      ACCOUNT_DAILY_POSTS: '10000',
      ACCOUNT_STATUS_PER_MINUTE: '10000',
      PUBLISH_STATUS_FIRST_INTERVAL_MS: '200',
      PUBLISH_STATUS_MAX_INTERVAL_MS: '500',
      RECONCILE_INTERVAL_MS: '1000',
      JOB_LOCK_DURATION_MS: '5000',
      STALLED_INTERVAL_MS: '1000',
      SHUTDOWN_GRACE_MS: '3000',
      WEBHOOK_URL: `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hooks`,
      WEBHOOK_SECRET: SECRET,
    });
    const context = createWorkerContext(env, createLogger({ name: 'e2e-worker', level: 'silent', pretty: false }));
    const workers = startWorkers(context);
    const reconcilers = startReconcilers(context);
    worker = {
      context,
      async stop() {
        context.shutdown.abort();
        await reconcilers.close();
        await workers.close(3_000);
        await context.close();
      },
    };
  });
  afterAll(async () => {
    await worker.stop();
    await sandbox.close();
    await api.close();
    await new Promise<void>((resolve) => {
      receiver.closeAllConnections();
      receiver.close(() => resolve());
    });
  });

  async function getPost(id: string): Promise<PostView> {
    return (await api.app.inject({ method: 'GET', url: `/v1/posts/${id}`, headers: api.auth })).json();
  }

  async function waitForStatuses(ids: readonly string[], status: string): Promise<PostView[]> {
    return waitFor(
      async () => {
        const views = await Promise.all(ids.map(getPost));
        return views.every((view) => view.status === status) ? views : undefined;
      },
      { timeoutMs: 30_000, describe: async () => (await Promise.all(ids.map(getPost))).map((view) => view.status) },
    );
  }

  function publishCount(externalId: string, view: PostView): number {
    const hash = publishContentHash({ accountId: externalId, content: view.request.content, mediaUrls: view.request.mediaItems.map((item) => item.url) });
    return sandbox.stats().publishes.find((entry) => entry.accountId === externalId && entry.contentHash === hash)?.count ?? 0;
  }

  async function schedule(accountId: string, count: number, tag: string): Promise<string[]> {
    const ids: string[] = [];
    // Due shortly after they are all created: the API refuses new posts for an account once its
    // session is known to have expired, so the first publish must not beat the last request.
    const scheduledAt = new Date(Date.now() + 1_500).toISOString();
    for (let index = 0; index < count; index += 1) {
      const response = await api.app.inject({
        method: 'POST',
        url: '/v1/posts',
        headers: api.auth,
        payload: videoBody(accountId, { content: `${tag} ${index}`, scheduledAt }),
      });
      expect(response.statusCode).toBe(202);
      ids.push(response.json().id);
    }
    return ids;
  }

  it('parks the expired account and its posts while other accounts publish, then publishes them after reauthorize', async () => {
    const expired = await createAccount(api, { externalId: 'acct_expired_1' });
    const healthy = await createAccount(api, { externalId: 'acct_healthy_1' });
    sandbox.expireAccount('acct_expired_1');

    const parkedIds = await schedule(expired.id, 5, 'parked');
    const healthyIds = await schedule(healthy.id, 5, 'healthy');
    await waitForStatuses(healthyIds, 'published');
    const parked = await waitForStatuses(parkedIds, 'reauth_required');
    for (const view of parked) expect(publishCount('acct_expired_1', view)).toBe(0);
    // A parked post says why it is not going out, like any other held post.
    for (const view of parked) expect(view.waiting).toMatchObject({ reason: 'reauth_required', until: null });

    const account = (await api.app.inject({ method: 'GET', url: `/v1/accounts/${expired.id}`, headers: api.auth })).json();
    expect(account).toMatchObject({ status: 'reauth_required', reauthReason: expect.stringContaining('access_token_invalid') });
    const reauthHooks = await waitFor(() => {
      const found = hooks.filter((hook) => hook.event === 'account.reauth_required');
      return found.length > 0 ? found : undefined;
    });
    // Raised once for the expiry, however many posts met it; signed; carrying the account view.
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(hooks.filter((hook) => hook.event === 'account.reauth_required')).toHaveLength(1);
    const [reauthHook] = reauthHooks;
    expect(verifyWebhookSignature(SECRET, reauthHook?.signature, reauthHook?.body ?? '')).toBe(true);
    expect(JSON.parse(reauthHook?.body ?? '{}')).toMatchObject({ key: 'account.reauth_required', data: { id: expired.id, status: 'reauth_required', hasCredentials: false } });
    expect(reauthHook?.body).not.toContain('credentials');

    sandbox.restoreAccount('acct_expired_1');
    const reauthorized = await api.app.inject({ method: 'POST', url: `/v1/accounts/${expired.id}/reauthorize`, headers: api.auth, payload: {} });
    expect(reauthorized.statusCode).toBe(200);
    expect(reauthorized.json()).toMatchObject({ status: 'active', resumed: { posts: 5 } });
    const published = await waitForStatuses(parkedIds, 'published');
    for (const view of published) expect(publishCount('acct_expired_1', view)).toBe(1);
    for (const id of healthyIds) expect(publishCount('acct_healthy_1', await getPost(id))).toBe(1);
  });

  it('parks a post whose status poll meets the expired session, keeps its publish id, and resumes polling without re-sending it', async () => {
    sandbox.configure({ publishDurationMs: 3_000 });
    try {
      const account = await createAccount(api, { externalId: 'acct_expired_2' });
      const [id] = await schedule(account.id, 1, 'polled');
      if (id === undefined) throw new Error('no post');
      const processing = await waitForStatuses([id], 'processing');
      sandbox.expireAccount('acct_expired_2');
      const [parked] = await waitForStatuses([id], 'reauth_required');
      expect(parked?.publishId).toBe(processing[0]?.publishId);

      sandbox.restoreAccount('acct_expired_2');
      const response = await api.app.inject({ method: 'POST', url: `/v1/accounts/${account.id}/reauthorize`, headers: api.auth });
      expect(response.json()).toMatchObject({ resumed: { posts: 1 } });
      const [published] = await waitForStatuses([id], 'published');
      if (published === undefined) throw new Error('no post');
      expect(published.publishId).toBe(processing[0]?.publishId);
      expect(publishCount('acct_expired_2', published)).toBe(1);
      const detail = (await api.app.inject({ method: 'GET', url: `/v1/posts/${id}`, headers: api.auth })).json();
      expect(detail.events.map((event: { to: string }) => event.to)).toEqual(['scheduled', 'publishing', 'processing', 'reauth_required', 'processing', 'published']);
    } finally {
      sandbox.configure({ publishDurationMs: 300 });
    }
  });
});
