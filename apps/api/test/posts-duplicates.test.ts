import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApi, type TestApi } from './harness';
import { createAccount, photoBody, tableCount, videoBody } from './publishing-fixtures';

describe('the duplicate guard on POST /v1/posts and PATCH', () => {
  let api: TestApi;
  let accountId: string;
  beforeAll(async () => {
    api = await startTestApi({ DUPLICATE_WINDOW_HOURS: '24' });
    accountId = (await createAccount(api)).id;
  });
  afterAll(async () => {
    await api.close();
  });

  async function post(payload: Record<string, unknown>, headers: Record<string, string> = {}) {
    return api.app.inject({ method: 'POST', url: '/v1/posts', headers: { ...api.auth, ...headers }, payload });
  }

  it('refuses the same content on the same account with 409 duplicate_content naming the earlier post, then accepts it with allowDuplicate', async () => {
    const first = await post(videoBody(accountId, { content: 'only once' }));
    expect(first.statusCode).toBe(202);
    const earlier = first.json<{ id: string }>().id;
    const posts = await tableCount(api, 'posts');

    // Another time and other settings are still the same thing for the audience.
    const again = await post(videoBody(accountId, { content: 'only once', scheduledAt: new Date(Date.now() + 3_600_000).toISOString(), settings: { privacyLevel: 'SELF_ONLY', allowComment: false, allowDuet: false, allowStitch: false } }));
    expect(again.statusCode).toBe(409);
    expect(again.json().error).toMatchObject({ code: 'duplicate_content', fields: { content: `duplicate of post ${earlier}`, duplicateOf: earlier } });
    expect(again.json().error.message).toContain(earlier);
    expect(await tableCount(api, 'posts')).toBe(posts);

    const allowed = await post(videoBody(accountId, { content: 'only once', allowDuplicate: true }));
    expect(allowed.statusCode).toBe(202);
    // A directive to the guard, not part of the post.
    expect(allowed.json().request).not.toHaveProperty('allowDuplicate');
  });

  it('tells different media, photo titles and accounts apart', async () => {
    expect((await post(photoBody(accountId, 2, { content: 'carousel', photoTitle: 'one' }))).statusCode).toBe(202);
    expect((await post(photoBody(accountId, 2, { content: 'carousel', photoTitle: 'two' }))).statusCode).toBe(202);
    expect((await post(photoBody(accountId, 3, { content: 'carousel', photoTitle: 'one' }))).statusCode).toBe(202);
    const other = await createAccount(api);
    expect((await post(photoBody(other.id, 2, { content: 'carousel', photoTitle: 'one' }))).statusCode).toBe(202);
  });

  it('does not count a cancelled post', async () => {
    const first = (await post(videoBody(accountId, { content: 'cancelled first', scheduledAt: new Date(Date.now() + 3_600_000).toISOString() }))).json<{ id: string }>();
    expect((await api.app.inject({ method: 'DELETE', url: `/v1/posts/${first.id}`, headers: api.auth })).statusCode).toBe(200);
    expect((await post(videoBody(accountId, { content: 'cancelled first' }))).statusCode).toBe(202);
  });

  it('replays an Idempotency-Key with the original post, not a 409 duplicate, with or without allowDuplicate', async () => {
    const body = videoBody(accountId, { content: 'keyed once' });
    const first = await post(body, { 'idempotency-key': 'dup-key-1' });
    expect(first.statusCode).toBe(202);
    const replay = await post(body, { 'idempotency-key': 'dup-key-1' });
    expect(replay.statusCode).toBe(200);
    expect(replay.json().id).toBe(first.json().id);
    const replayAllowing = await post({ ...body, allowDuplicate: true }, { 'idempotency-key': 'dup-key-1' });
    expect(replayAllowing.statusCode).toBe(200);
    expect(replayAllowing.json().id).toBe(first.json().id);
    // Under a fresh key it is a new request, and a duplicate.
    expect((await post(body, { 'idempotency-key': 'dup-key-2' })).statusCode).toBe(409);
  });

  it('creates one post when identical requests race without a key', async () => {
    const body = videoBody(accountId, { content: 'raced' });
    const answers = await Promise.all(Array.from({ length: 8 }, () => post(body)));
    expect(answers.map((answer) => answer.statusCode).sort()).toEqual([202, 409, 409, 409, 409, 409, 409, 409]);
  });

  it('refuses an edit that makes a post a duplicate, unless allowDuplicate', async () => {
    const later = new Date(Date.now() + 3_600_000).toISOString();
    expect((await post(videoBody(accountId, { content: 'edit target' }))).statusCode).toBe(202);
    const other = (await post(videoBody(accountId, { content: 'edit source', scheduledAt: later }))).json<{ id: string }>();
    const refused = await api.app.inject({ method: 'PATCH', url: `/v1/posts/${other.id}`, headers: api.auth, payload: { content: 'edit target' } });
    expect(refused.statusCode).toBe(409);
    expect(refused.json().error.code).toBe('duplicate_content');
    // An edit that keeps a post's own content is not a duplicate of itself.
    expect((await api.app.inject({ method: 'PATCH', url: `/v1/posts/${other.id}`, headers: api.auth, payload: { scheduledAt: later } })).statusCode).toBe(200);
    const allowed = await api.app.inject({ method: 'PATCH', url: `/v1/posts/${other.id}`, headers: api.auth, payload: { content: 'edit target', allowDuplicate: true } });
    expect(allowed.statusCode).toBe(200);
  });

  it('is off with DUPLICATE_WINDOW_HOURS=0', async () => {
    const open = await startTestApi({ DUPLICATE_WINDOW_HOURS: '0' });
    try {
      const account = await createAccount(open);
      const body = videoBody(account.id, { content: 'no guard' });
      for (let index = 0; index < 2; index += 1) expect((await open.app.inject({ method: 'POST', url: '/v1/posts', headers: open.auth, payload: body })).statusCode).toBe(202);
    } finally {
      await open.close();
    }
  });
});
