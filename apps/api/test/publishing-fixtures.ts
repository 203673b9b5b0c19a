import type { RunningSandbox } from '@pubcrawl/sandbox';
import { expect } from 'vitest';
import type { TestApi } from './harness';

/** Bodies and helpers shared by the publishing tests. */

export function videoBody(accountId: string, overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    accountId,
    content: 'A video #fyp',
    mediaItems: [{ url: 'https://cdn.example.com/clip.mp4' }],
    settings: { privacyLevel: 'PUBLIC_TO_EVERYONE', allowComment: true, allowDuet: true, allowStitch: false },
    ...overrides,
  };
}

export function photoBody(accountId: string, count = 3, overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    accountId,
    content: 'A carousel',
    photoTitle: 'Title',
    mediaItems: Array.from({ length: count }, (_, index) => ({ url: `https://cdn.example.com/photo-${index}.jpg` })),
    settings: { privacyLevel: 'SELF_ONLY', allowComment: false, photoCoverIndex: 0, autoAddMusic: true },
    ...overrides,
  };
}

export async function createAccount(
  api: TestApi,
  overrides: Record<string, unknown> = {},
): Promise<{ id: string; externalId: string; status: string; hasCredentials: boolean }> {
  const externalId = `acct_${Math.floor(Math.random() * 1e9)}`;
  const response = await api.app.inject({
    method: 'POST',
    url: '/v1/accounts',
    headers: api.auth,
    payload: { label: `Account ${externalId}`, provider: 'posting', externalId, ...overrides },
  });
  if (response.statusCode !== 201) throw new Error(`account creation failed: ${response.statusCode} ${response.body}`);
  return response.json();
}

export async function tableCount(api: TestApi, table: 'posts' | 'post_events' | 'accounts' | 'webhook_deliveries'): Promise<number> {
  const result = await api.db.pool.query<{ count: string }>(`select count(*)::text as count from ${table}`);
  return Number(result.rows[0]?.count ?? 0);
}

/** Every job in every queue of this test's prefix, whatever its state. */
export async function jobCount(api: TestApi): Promise<number> {
  let total = 0;
  for (const queue of Object.values(api.queues)) {
    const counts = await queue.getJobCounts('active', 'completed', 'delayed', 'failed', 'prioritized', 'waiting', 'waiting-children');
    total += Object.values(counts).reduce((sum, value) => sum + value, 0);
  }
  return total;
}

/** The posting API key the API tests' workers use (startApiWorkers' default). */
export const POSTING_KEY = 'test-posting-key';

/** Worker settings for tests that follow posts to their outcome: no status quota, quick polls. */
export const QUICK_POLLING_ENV = {
  POSTING_API_KEY: POSTING_KEY,
  ACCOUNT_STATUS_PER_MINUTE: '1000',
  PUBLISH_STATUS_FIRST_INTERVAL_MS: '200',
  PUBLISH_STATUS_MAX_INTERVAL_MS: '400',
} as const;

/** A publish made straight through the posting API, as pubcrawl never saw it; its publish id. */
export async function publishElsewhere(sandbox: RunningSandbox, accountExternalId: string, url: string, content = 'made elsewhere'): Promise<string> {
  const response = await fetch(`${sandbox.url}/api/content/post`, {
    method: 'POST',
    headers: { 'x-api-key': POSTING_KEY, 'content-type': 'application/json' },
    body: JSON.stringify({
      accountId: accountExternalId,
      content,
      mediaItems: [{ url }],
      tiktokSettings: { privacy_level: 'SELF_ONLY', allow_comment: true, allow_duet: false, allow_stitch: false },
    }),
  });
  expect(response.status).toBe(200);
  return ((await response.json()) as { data: { publish_id: string } }).data.publish_id;
}
