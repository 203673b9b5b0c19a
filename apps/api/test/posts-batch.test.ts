import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApi, type TestApi } from './harness';
import { createAccount, photoBody, tableCount, videoBody } from './publishing-fixtures';

interface BatchAnswer {
  results: Array<{ index: number; status: number; post?: { id: string; status: string; request: { content: string } }; error?: { code: string; fields?: Record<string, string>; duplicateOf?: string } }>;
  created: number;
  replayed: boolean;
}

const LATER = () => new Date(Date.now() + 7 * 86_400_000).toISOString();

/** The invalid items of the 500-post batch: index → the field its error must name. */
const BROKEN: Record<number, [(body: Record<string, unknown>) => unknown, string]> = {
  3: [(body) => ({ ...body, mediaItems: [{ url: 'http://cdn.example.com/clip.mp4' }] }), 'posts.3.mediaItems.0.url'],
  41: [(body) => ({ ...body, content: 'x'.repeat(2_201) }), 'posts.41.content'],
  99: [(body) => ({ ...body, accountId: '00000000-0000-4000-8000-000000000000' }), 'posts.99.accountId'],
  150: [(body) => ({ ...body, settings: { privacyLevel: 'SELF_ONLY', allowComment: true, allowStitch: true } }), 'posts.150.settings.allowDuet'],
  277: [() => 'not an object', 'posts.277'],
  388: [(body) => ({ ...body, scheduledAt: 'soon' }), 'posts.388.scheduledAt'],
  499: [(body) => ({ ...body, unknownField: true }), 'posts.499'],
};

describe('POST /v1/posts/batch', () => {
  let api: TestApi;
  let accountId: string;
  let bulk: unknown[] = [];
  let bulkAnswer: BatchAnswer | undefined;
  beforeAll(async () => {
    api = await startTestApi({ DUPLICATE_WINDOW_HOURS: '24', ACCOUNT_DAILY_POSTS: '100000', ACCOUNT_PUBLISH_PER_MINUTE: '100000' });
    accountId = (await createAccount(api)).id;
  });
  afterAll(async () => {
    await api.close();
  });

  async function batch(posts: unknown, headers: Record<string, string> = {}) {
    return api.app.inject({ method: 'POST', url: '/v1/posts/batch', headers: { ...api.auth, ...headers }, payload: posts as Record<string, unknown> });
  }

  function fiveHundred(tag: string): unknown[] {
    const scheduledAt = LATER();
    return Array.from({ length: 500 }, (_, index) => {
      const body = videoBody(accountId, { content: `${tag} ${index}`, scheduledAt });
      const broken = BROKEN[index];
      return broken === undefined ? body : broken[0](body);
    });
  }

  it('creates the 493 valid posts of 500 in one go and answers the 7 invalid ones by index, naming their fields', async () => {
    const posts = await tableCount(api, 'posts');
    const started = performance.now();
    bulk = fiveHundred('bulk');
    const response = await batch({ posts: bulk }, { 'idempotency-key': 'batch-500' });
    const elapsedMs = performance.now() - started;
    expect(response.statusCode).toBe(207);
    const answer = response.json<BatchAnswer>();
    bulkAnswer = answer;
    expect(answer).toMatchObject({ created: 493, replayed: false });
    expect(answer.results.map((result) => result.index)).toEqual(Array.from({ length: 500 }, (_, index) => index));
    const refused = answer.results.filter((result) => result.status !== 202);
    expect(refused.map((result) => result.index)).toEqual(Object.keys(BROKEN).map(Number));
    for (const result of refused) {
      expect(result.status).toBe(400);
      expect(Object.keys(result.error?.fields ?? {})).toContain(BROKEN[result.index]?.[1]);
    }
    expect(answer.results[0]?.post).toMatchObject({ status: 'scheduled', request: { content: 'bulk 0' } });
    expect(await tableCount(api, 'posts')).toBe(posts + 493);
    expect(await api.queues.publish.count()).toBeGreaterThanOrEqual(493);
    // One multi-row insert, not 500 round trips: comfortably inside a few seconds even on CI.
    expect(elapsedMs).toBeLessThan(5_000);
  });

  it('replays the stored answer for the same key and body, creating nothing new; another body under the key is a 409', async () => {
    const posts = await tableCount(api, 'posts');
    const events = await tableCount(api, 'post_events');
    const replay = await batch({ posts: bulk }, { 'idempotency-key': 'batch-500' });
    expect(replay.statusCode).toBe(207);
    expect(replay.json<BatchAnswer>()).toEqual({ ...bulkAnswer, replayed: true });
    const changed = await batch({ posts: bulk.slice(1) }, { 'idempotency-key': 'batch-500' });
    expect(changed.statusCode).toBe(409);
    expect(await tableCount(api, 'posts')).toBe(posts);
    expect(await tableCount(api, 'post_events')).toBe(events);
  });

  it('replays byte-identical batches, and refuses a different body under a used key', async () => {
    const body = { posts: [videoBody(accountId, { content: 'replayed one', scheduledAt: LATER() }), photoBody(accountId, 2, { content: 'replayed two' })] };
    const first = await batch(body, { 'idempotency-key': 'batch-small' });
    expect(first.statusCode).toBe(207);
    expect(first.json<BatchAnswer>()).toMatchObject({ created: 2, replayed: false });
    const posts = await tableCount(api, 'posts');
    const again = await batch(body, { 'idempotency-key': 'batch-small' });
    expect(again.statusCode).toBe(207);
    expect(again.json<BatchAnswer>()).toEqual({ ...first.json<BatchAnswer>(), replayed: true });
    expect(await tableCount(api, 'posts')).toBe(posts);

    const other = await batch({ posts: [videoBody(accountId, { content: 'something else' })] }, { 'idempotency-key': 'batch-small' });
    expect(other.statusCode).toBe(409);
    expect(other.json().error.fields).toHaveProperty('idempotency-key');
    expect(await tableCount(api, 'posts')).toBe(posts);
  });

  it('refuses duplicates of stored posts and of earlier items of the same batch, unless allowDuplicate', async () => {
    const existing = (await batch({ posts: [videoBody(accountId, { content: 'seen before' })] })).json<BatchAnswer>().results[0]?.post?.id;
    expect(existing).toBeDefined();
    const answer = (
      await batch({
        posts: [
          videoBody(accountId, { content: 'seen before' }),
          videoBody(accountId, { content: 'twice in one batch' }),
          videoBody(accountId, { content: 'twice in one batch' }),
          videoBody(accountId, { content: 'twice in one batch', allowDuplicate: true }),
        ],
      })
    ).json<BatchAnswer>();
    expect(answer.results.map((result) => result.status)).toEqual([409, 202, 409, 202]);
    expect(answer.results[0]?.error).toMatchObject({ code: 'duplicate_content', duplicateOf: existing, fields: { 'posts.0.content': `duplicate of post ${existing}` } });
    expect(answer.results[2]?.error).toMatchObject({ code: 'duplicate_content', duplicateOf: 'posts.1' });
    expect(answer.created).toBe(2);
  });

  it('answers 400 naming posts for a body whose top level is wrong, and writes nothing', async () => {
    const posts = await tableCount(api, 'posts');
    const bodies: unknown[] = [[videoBody(accountId)], 'posts', 42, {}, { posts: [] }, { posts: Array.from({ length: 501 }, () => ({})) }, { posts: 'many' }];
    for (const body of bodies) {
      const response = await api.app.inject({ method: 'POST', url: '/v1/posts/batch', headers: { ...api.auth, 'content-type': 'application/json' }, payload: JSON.stringify(body) });
      expect(response.statusCode, JSON.stringify(body).slice(0, 60)).toBe(400);
      expect(Object.keys(response.json().error.fields), JSON.stringify(body).slice(0, 60)).toContain('posts');
    }
    expect(await tableCount(api, 'posts')).toBe(posts);
  });

  it('does not use up a key on a batch that created nothing', async () => {
    const refused = (await batch({ posts: [{ accountId }] }, { 'idempotency-key': 'batch-nothing' })).json<BatchAnswer>();
    expect(refused).toMatchObject({ created: 0, replayed: false });
    const fixed = await batch({ posts: [videoBody(accountId, { content: 'fixed later' })] }, { 'idempotency-key': 'batch-nothing' });
    expect(fixed.json<BatchAnswer>()).toMatchObject({ created: 1, replayed: false });
  });
});
