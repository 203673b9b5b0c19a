import type { RunningSandbox, SandboxConfig } from '@pubcrawl/sandbox';
import { testSandbox, waitFor } from '@pubcrawl/testing';
import { ALL_QUEUE_NAMES } from '@pubcrawl/domain';
import { startApiWorkers, startTestApi, type ApiWorkers, type TestApi } from './harness';

/** API, sandbox and workers wired together for the operator flows (linking, sync, holds, caps). */
export interface OperatorWorld {
  api: TestApi;
  sandbox: RunningSandbox;
  workers: ApiWorkers;
  /** `/__sandbox/...` on this world's sandbox; throws on a non-2xx answer. */
  admin(method: 'GET' | 'POST' | 'PUT', path: string, body?: unknown): Promise<unknown>;
  close(): Promise<void>;
}

export interface OperatorWorldOptions {
  sandbox?: Partial<SandboxConfig>;
  api?: Record<string, string>;
  worker?: Record<string, string>;
}

export async function startOperatorWorld(options: OperatorWorldOptions = {}): Promise<OperatorWorld> {
  const sandbox = await testSandbox({ quotaPerSecond: 0, accountLimits: null, publishDurationMs: 200, ...options.sandbox });
  const api = await startTestApi({
    POSTING_BASE_URL: sandbox.url,
    POSTING_API_KEY: 'test-posting-key',
    TIKAPI_BASE_URL: sandbox.url,
    TIKAPI_API_KEY: 'test-tikapi-key',
    TIKTOK_BASE_URL: sandbox.url,
    TIKTOK_AUTH_URL: sandbox.url,
    ACCOUNT_LINK_POLL_MS: '100',
    ...options.api,
  });
  const workers = startApiWorkers(api, sandbox, ALL_QUEUE_NAMES, {
    POSTING_REQUESTS_PER_SECOND: '10000',
    TIKAPI_REQUESTS_PER_SECOND: '10000',
    ACCOUNT_PUBLISH_PER_MINUTE: '10000',
    ACCOUNT_STATUS_PER_MINUTE: '10000',
    PUBLISH_STATUS_FIRST_INTERVAL_MS: '100',
    PUBLISH_STATUS_MAX_INTERVAL_MS: '300',
    ACCOUNT_LINK_POLL_MS: '100',
    ACCOUNT_WAIT_RECHECK_MS: '300',
    SHUTDOWN_GRACE_MS: '2000',
    ...options.worker,
  });
  const admin = async (method: 'GET' | 'POST' | 'PUT', path: string, body?: unknown) => {
    const response = await fetch(`${sandbox.url}/__sandbox${path}`, {
      method,
      ...(body === undefined ? {} : { body: JSON.stringify(body), headers: { 'content-type': 'application/json' } }),
    });
    const text = await response.text();
    if (!response.ok) throw new Error(`sandbox ${method} ${path}: ${response.status} ${text}`);
    return text === '' ? null : (JSON.parse(text) as unknown);
  };
  return {
    api,
    sandbox,
    workers,
    admin,
    async close() {
      await workers.stop();
      await api.close();
      await sandbox.close();
    },
  };
}

export interface PostView {
  id: string;
  status: string;
  waiting: { reason: string; until: string | null; message: string } | null;
  error: { code: string; message: string } | null;
  attempts: number;
  events?: Array<{ code: string | null; to: string; message: string | null; data: Record<string, unknown> | null }>;
}

export async function getPost(api: TestApi, id: string): Promise<PostView> {
  const response = await api.app.inject({ method: 'GET', url: `/v1/posts/${id}`, headers: api.auth });
  if (response.statusCode !== 200) throw new Error(`GET post ${id}: ${response.statusCode} ${response.body}`);
  return response.json();
}

export async function waitForPost(api: TestApi, id: string, check: (post: PostView) => boolean, timeoutMs = 15_000): Promise<PostView> {
  let last: PostView | null = null;
  return waitFor(
    async () => {
      last = await getPost(api, id);
      return check(last) ? last : undefined;
    },
    { timeoutMs, intervalMs: 100, describe: () => last },
  );
}

/** Accepted publishes the sandbox recorded for an account id. */
export function publishesFor(sandbox: RunningSandbox, externalId: string): number {
  return sandbox
    .stats()
    .publishes.filter((entry) => entry.accountId === externalId)
    .reduce((sum, entry) => sum + entry.count, 0);
}
