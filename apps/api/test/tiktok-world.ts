import type { RunningSandbox } from '@pubcrawl/sandbox';
import { expect } from 'vitest';
import type { TestApi } from './harness';
import { startOperatorWorld, type OperatorWorld, type OperatorWorldOptions } from './operator-world';

/**
 * The operator world with TikTok's own API: the sandbox's v2 twin as TikTok, the API's OAuth routes,
 * and workers that publish tiktok posts. Status polls stay short so outcomes arrive in a second.
 */
export async function startTikTokWorld(options: OperatorWorldOptions = {}): Promise<OperatorWorld> {
  return startOperatorWorld({
    ...options,
    sandbox: { publishDurationMs: 200, ...options.sandbox },
    worker: { TIKTOK_STATUS_MAX_INTERVAL_MS: '300', ...options.worker },
  });
}

export interface ConnectResult {
  status: number;
  page: string;
  state: string;
}

/**
 * Runs the whole connect as a browser would: our connect route, TikTok's authorize page (the
 * sandbox's, which answers with a redirect at once), then our callback with what TikTok added.
 * `user` picks the sandbox user who signs in; `deny` makes them refuse.
 */
export async function connectTikTok(world: Pick<OperatorWorld, 'api'>, options: { user?: string; label?: string; deny?: boolean } = {}): Promise<ConnectResult> {
  const started = await world.api.app.inject({
    method: 'POST',
    url: '/v1/accounts/connect',
    headers: world.api.auth,
    payload: { provider: 'tiktok', ...(options.label === undefined ? {} : { label: options.label }) },
  });
  expect(started.statusCode, started.body).toBe(201);
  const { authorizeUrl, state } = started.json<{ authorizeUrl: string; state: string }>();
  const location = await followAuthorize(authorizeUrl, options);
  const page = await world.api.app.inject({ method: 'GET', url: `${location.pathname}${location.search}` });
  return { status: page.statusCode, page: page.body, state };
}

/** TikTok's authorize page, as the sandbox plays it: where it sends the browser back. */
export async function followAuthorize(authorizeUrl: string, options: { user?: string; deny?: boolean } = {}): Promise<URL> {
  const url = new URL(authorizeUrl);
  if (options.user !== undefined) url.searchParams.set('sandbox_user', options.user);
  if (options.deny === true) url.searchParams.set('sandbox_deny', '1');
  const answer = await fetch(url, { redirect: 'manual' });
  const location = answer.headers.get('location');
  if (answer.status !== 302 || location === null) throw new Error(`authorize answered ${answer.status}: ${await answer.text()}`);
  return new URL(location);
}

export interface AccountRowView {
  id: string;
  provider: string;
  externalId: string;
  status: string;
  username: string | null;
  label: string;
  hasCredentials: boolean;
  reauthReason: string | null;
}

export async function tiktokAccounts(api: TestApi): Promise<AccountRowView[]> {
  const response = await api.app.inject({ method: 'GET', url: '/v1/accounts?limit=100', headers: api.auth });
  expect(response.statusCode, response.body).toBe(200);
  return response.json<{ items: AccountRowView[] }>().items.filter((account) => account.provider === 'tiktok');
}

/** Connects `user` and answers its account. */
export async function connectedAccount(world: Pick<OperatorWorld, 'api'>, user = 'creator_1'): Promise<AccountRowView> {
  const result = await connectTikTok(world, { user });
  expect(result.status, result.page).toBe(200);
  const account = (await tiktokAccounts(world.api)).find((row) => row.externalId === tiktokOpenId(user));
  if (account === undefined) throw new Error(`no tiktok account for ${user} after connect`);
  return account;
}

/** The sandbox's open_id for a user name (packages/sandbox openIdFor). */
export function tiktokOpenId(user: string): string {
  return `sbx_open_${user}`;
}

/** A video post body for a tiktok account; the sandbox verifies https://cdn.example.com/. */
export function tiktokVideoBody(accountId: string, overrides: { content?: string; settings?: Record<string, unknown>; url?: string; scheduledAt?: string } = {}) {
  return {
    accountId,
    content: overrides.content ?? `tiktok video ${Math.random().toString(36).slice(2)}`,
    mediaItems: [{ url: overrides.url ?? 'https://cdn.example.com/clip.mp4' }],
    settings: { privacyLevel: 'SELF_ONLY', allowComment: true, allowDuet: false, allowStitch: false, ...overrides.settings },
    ...(overrides.scheduledAt === undefined ? {} : { scheduledAt: overrides.scheduledAt }),
  };
}

export async function createTikTokPost(api: TestApi, body: Record<string, unknown>): Promise<string> {
  const response = await api.app.inject({ method: 'POST', url: '/v1/posts', headers: api.auth, payload: body });
  expect(response.statusCode, response.body).toBe(202);
  return response.json<{ id: string }>().id;
}

/** Requests the sandbox answered on one route, by HTTP status. */
export function sandboxCalls(sandbox: RunningSandbox, endpoint: string): { total: number; byStatus: Record<string, number> } {
  return sandbox.stats().requests.byEndpoint[endpoint] ?? { total: 0, byStatus: {} };
}
