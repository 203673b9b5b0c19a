import { posts, transitionPost } from '@pubcrawl/db';
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApi, type TestApi } from './harness';
import { nextMillisecond } from './ordering';
import { createAccount, photoBody, tableCount, videoBody } from './publishing-fixtures';

/** An instant a month ahead, at a whole hour, so offsets can be written out by hand. */
const LATER = new Date(Math.ceil((Date.now() + 30 * 86_400_000) / 3_600_000) * 3_600_000);
const LATER_Z = LATER.toISOString().replace('.000Z', 'Z');
/** The same instant written with a +02:00 offset. */
const LATER_PLUS_2 = `${new Date(LATER.getTime() + 2 * 3_600_000).toISOString().slice(0, 19)}+02:00`;

async function post(api: TestApi, payload: unknown, headers: Record<string, string> = {}) {
  return api.app.inject({ method: 'POST', url: '/v1/posts', headers: { ...api.auth, ...headers }, payload: payload as Record<string, unknown> });
}

describe('POST /v1/posts validation', () => {
  let api: TestApi;
  let accountId: string;
  beforeAll(async () => {
    api = await startTestApi();
    accountId = (await createAccount(api)).id;
  });
  afterAll(async () => {
    await api.close();
  });

  const cases: Array<[string, (accountId: string) => unknown, string]> = [
    ['a plain http media URL', (id) => videoBody(id, { mediaItems: [{ url: 'http://cdn.example.com/clip.mp4' }] }), 'mediaItems.0.url'],
    ['a media URL that is not a URL', (id) => photoBody(id, 2, { mediaItems: [{ url: 'https://cdn.example.com/a.jpg' }, { url: 'not a url' }] }), 'mediaItems.1.url'],
    ['a video mixed with photos', (id) => videoBody(id, { mediaItems: [{ url: 'https://cdn.example.com/a.mp4' }, { url: 'https://cdn.example.com/b.jpg' }] }), 'mediaItems'],
    ['two videos', (id) => videoBody(id, { mediaItems: [{ url: 'https://cdn.example.com/a.mp4' }, { url: 'https://cdn.example.com/b.mov' }] }), 'mediaItems'],
    ['a single photo', (id) => photoBody(id, 1, { settings: { privacyLevel: 'SELF_ONLY', allowComment: true } }), 'mediaItems'],
    ['36 photos', (id) => photoBody(id, 36), 'mediaItems'],
    ['a video caption over 2,200 characters', (id) => videoBody(id, { content: 'x'.repeat(2_201) }), 'content'],
    ['a photo description over 4,000 characters', (id) => photoBody(id, 2, { content: 'x'.repeat(4_001) }), 'content'],
    ['a photo title over 90 characters', (id) => photoBody(id, 2, { photoTitle: 't'.repeat(91) }), 'photoTitle'],
    ['a photo title on a video', (id) => videoBody(id, { photoTitle: 'nope' }), 'photoTitle'],
    ['an unknown privacy level', (id) => videoBody(id, { settings: { privacyLevel: 'FRIENDS', allowComment: true, allowDuet: true, allowStitch: true } }), 'settings.privacyLevel'],
    ['a video without allowDuet', (id) => videoBody(id, { settings: { privacyLevel: 'SELF_ONLY', allowComment: true, allowStitch: true } }), 'settings.allowDuet'],
    ['a cover index past the last photo', (id) => photoBody(id, 3, { settings: { privacyLevel: 'SELF_ONLY', allowComment: true, photoCoverIndex: 3 } }), 'settings.photoCoverIndex'],
    ['a negative cover index', (id) => photoBody(id, 3, { settings: { privacyLevel: 'SELF_ONLY', allowComment: true, photoCoverIndex: -1 } }), 'settings.photoCoverIndex'],
    ['a scheduledAt that is not ISO', (id) => videoBody(id, { scheduledAt: 'tomorrow at noon' }), 'scheduledAt'],
    ['a scheduledAt without an offset', (id) => videoBody(id, { scheduledAt: LATER_Z.slice(0, 19) }), 'scheduledAt'],
    ['a scheduledAt two years ahead', (id) => videoBody(id, { scheduledAt: new Date(Date.now() + 2 * 366 * 86_400_000).toISOString() }), 'scheduledAt'],
    ['URLs whose type cannot be told', (id) => videoBody(id, { mediaItems: [{ url: 'https://cdn.example.com/media?id=1' }] }), 'mediaType'],
    ['an explicit mediaType that contradicts the extension', (id) => videoBody(id, { mediaType: 'photo' }), 'mediaItems.0.url'],
    ['an account id that is not a uuid', () => videoBody('acct_1'), 'accountId'],
    ['an account that does not exist', () => videoBody('00000000-0000-4000-8000-000000000000'), 'accountId'],
    ['a missing settings object', (id) => ({ ...videoBody(id), settings: undefined }), 'settings'],
  ];

  for (const [name, build, field] of cases) {
    it(`refuses ${name}, naming ${field}`, async () => {
      const response = await post(api, build(accountId));
      expect(response.statusCode).toBe(400);
      const body = response.json();
      expect(body.error.code).toBe('invalid_input');
      expect(Object.keys(body.error.fields)).toContain(field);
    });
  }

  it('refuses a tikapi account and a parked account, naming accountId', async () => {
    const tikapi = await createAccount(api, { provider: 'tikapi' });
    expect((await post(api, videoBody(tikapi.id))).json().error.fields).toHaveProperty('accountId');
    const parked = await createAccount(api);
    await api.db.pool.query("update accounts set status = 'reauth_required' where id = $1", [parked.id]);
    expect((await post(api, videoBody(parked.id))).json().error.fields).toHaveProperty('accountId');
  });

  it('wrote nothing for any refused request', async () => {
    expect(await tableCount(api, 'posts')).toBe(0);
    expect(await tableCount(api, 'post_events')).toBe(0);
    expect(await api.queues.publish.count()).toBe(0);
  });

  it('accepts a video and a photo carousel with 202, storing the validated request', async () => {
    const video = await post(api, videoBody(accountId, { scheduledAt: LATER_PLUS_2 }));
    expect(video.statusCode).toBe(202);
    expect(video.json()).toMatchObject({ status: 'scheduled', mediaType: 'video', scheduledAt: LATER.toISOString(), attempts: 0, error: null, publishId: null });
    const photos = await post(api, photoBody(accountId, 35, { mediaType: 'photo' }));
    expect(photos.statusCode).toBe(202);
    expect(photos.json()).toMatchObject({ mediaType: 'photo', request: { photoTitle: 'Title' } });
    const job = await api.queues.publish.getJob(`publish-${video.json().id}-0`);
    expect(await job?.getState()).toBe('delayed');
  });
});

describe('POST /v1/posts with MEDIA_HOSTS', () => {
  let api: TestApi;
  beforeAll(async () => {
    api = await startTestApi({ MEDIA_HOSTS: 'cdn.example.com,*.media.example.org' });
  });
  afterAll(async () => {
    await api.close();
  });

  it('accepts listed hosts and subdomains of wildcard entries, and names the item with any other host', async () => {
    const { id } = await createAccount(api);
    expect((await post(api, videoBody(id))).statusCode).toBe(202);
    expect((await post(api, videoBody(id, { mediaItems: [{ url: 'https://eu.media.example.org/a.mp4' }] }))).statusCode).toBe(202);
    const refused = await post(api, photoBody(id, 2, { mediaItems: [{ url: 'https://cdn.example.com/a.jpg' }, { url: 'https://evil.example.net/b.jpg' }] }));
    expect(refused.statusCode).toBe(400);
    expect(refused.json().error.fields).toHaveProperty(['mediaItems.1.url']);
  });
});

describe('posts API', () => {
  let api: TestApi;
  let accountId: string;
  beforeAll(async () => {
    api = await startTestApi();
    accountId = (await createAccount(api)).id;
  });
  afterAll(async () => {
    await api.close();
  });

  it('replays the same Idempotency-Key and body as 200 with the same post, and refuses a different body with 409', async () => {
    const body = videoBody(accountId, { content: 'idempotent', scheduledAt: LATER_Z });
    const first = await post(api, body, { 'idempotency-key': 'key-1' });
    expect(first.statusCode).toBe(202);
    // The same instant written differently is the same request.
    const again = await post(api, { ...body, scheduledAt: LATER_PLUS_2 }, { 'idempotency-key': 'key-1' });
    expect(again.statusCode).toBe(200);
    expect(again.json().id).toBe(first.json().id);
    const different = await post(api, { ...body, content: 'something else' }, { 'idempotency-key': 'key-1' });
    expect(different.statusCode).toBe(409);
    expect(different.json().error).toMatchObject({ code: 'conflict', fields: { 'idempotency-key': expect.any(String) } });
    const rows = await api.db.db.select().from(posts).where(eq(posts.idempotencyKey, 'key-1'));
    expect(rows).toHaveLength(1);
  });

  it('creates one post when identical requests with one key race', async () => {
    const body = videoBody(accountId, { content: 'racing' });
    const responses = await Promise.all(Array.from({ length: 12 }, () => post(api, body, { 'idempotency-key': 'race-key' })));
    const codes = responses.map((response) => response.statusCode).sort();
    expect(codes.filter((code) => code === 202)).toHaveLength(1);
    expect(codes.filter((code) => code === 200)).toHaveLength(11);
    expect(new Set(responses.map((response) => response.json().id)).size).toBe(1);
  });

  it('refuses a malformed Idempotency-Key, naming the header', async () => {
    const response = await post(api, videoBody(accountId), { 'idempotency-key': 'has spaces in it' });
    expect(response.statusCode).toBe(400);
    expect(response.json().error.fields).toHaveProperty('idempotency-key');
  });

  it('returns a post with its timeline, and 404 for an unknown id', async () => {
    const created = (await post(api, videoBody(accountId))).json();
    const response = await api.app.inject({ method: 'GET', url: `/v1/posts/${created.id}`, headers: api.auth });
    expect(response.statusCode).toBe(200);
    expect(response.json()).toMatchObject({
      id: created.id,
      status: 'scheduled',
      publishId: null,
      publicUrl: null,
      attempts: 0,
      error: null,
      events: [{ from: null, to: 'scheduled', code: 'created' }],
    });
    const missing = await api.app.inject({ method: 'GET', url: '/v1/posts/00000000-0000-4000-8000-000000000000', headers: api.auth });
    expect(missing.statusCode).toBe(404);
    expect(missing.json().error.code).toBe('not_found');
  });

  it('cancels a scheduled post and removes its delayed job; a second cancel is a 409', async () => {
    const created = (await post(api, videoBody(accountId, { scheduledAt: LATER_Z }))).json();
    expect(await api.queues.publish.getJob(`publish-${created.id}-0`)).toBeDefined();
    const cancelled = await api.app.inject({ method: 'DELETE', url: `/v1/posts/${created.id}`, headers: api.auth });
    expect(cancelled.statusCode).toBe(200);
    expect(cancelled.json()).toMatchObject({ status: 'cancelled', finishedAt: expect.any(String) });
    expect(await api.queues.publish.getJob(`publish-${created.id}-0`)).toBeUndefined();
    const again = await api.app.inject({ method: 'DELETE', url: `/v1/posts/${created.id}`, headers: api.auth });
    expect(again.statusCode).toBe(409);
    expect(again.json().error).toMatchObject({ code: 'conflict', fields: { status: 'cancelled' } });
  });

  it('refuses to cancel a post that a worker has started', async () => {
    const created = (await post(api, videoBody(accountId))).json();
    await api.db.db.transaction((tx) => transitionPost(tx, created.id, ['scheduled'], 'publishing', { patch: { attempts: 1, submittedAt: new Date() } }));
    const response = await api.app.inject({ method: 'DELETE', url: `/v1/posts/${created.id}`, headers: api.auth });
    expect(response.statusCode).toBe(409);
  });

  it('polls a processing post now on request, and refuses posts the provider has not accepted', async () => {
    const created = (await post(api, videoBody(accountId, { scheduledAt: LATER_Z }))).json();
    const early = await api.app.inject({ method: 'POST', url: `/v1/posts/${created.id}/poll`, headers: api.auth });
    expect(early.statusCode).toBe(409);
    await api.db.db.transaction(async (tx) => {
      await transitionPost(tx, created.id, ['scheduled'], 'publishing', { patch: { attempts: 1, submittedAt: new Date() } });
      await transitionPost(tx, created.id, ['publishing'], 'processing', { patch: { publishId: `v_pub_url~v2.poll-${created.id}` } });
    });
    await api.queues['publish-status'].add('publish-status', { postId: created.id, generation: 0 }, { jobId: `status-${created.id}-0`, delay: 60_000 });

    const polled = await api.app.inject({ method: 'POST', url: `/v1/posts/${created.id}/poll`, headers: api.auth });
    expect(polled.statusCode).toBe(202);
    expect(polled.json()).toMatchObject({ id: created.id, status: 'processing' });
    expect(await (await api.queues['publish-status'].getJob(`status-${created.id}-0`))?.getState()).toBe('waiting');

    await api.queues['publish-status'].remove(`status-${created.id}-0`);
    expect((await api.app.inject({ method: 'POST', url: `/v1/posts/${created.id}/poll`, headers: api.auth })).statusCode).toBe(202);
    expect(await (await api.queues['publish-status'].getJob(`status-${created.id}-0`))?.getState()).toBe('waiting');
  });

  it('retries only failed or unconfirmed posts, as a new generation scheduled now', async () => {
    const created = (await post(api, videoBody(accountId, { scheduledAt: LATER_Z }))).json();
    const early = await api.app.inject({ method: 'POST', url: `/v1/posts/${created.id}/retry`, headers: api.auth });
    expect(early.statusCode).toBe(409);
    await api.db.db.transaction(async (tx) => {
      await transitionPost(tx, created.id, ['scheduled'], 'publishing', { patch: { attempts: 1, submittedAt: new Date() } });
      await transitionPost(tx, created.id, ['publishing'], 'unconfirmed', { code: 'outcome_unknown', message: 'timed out', patch: { lastErrorCode: 'outcome_unknown', lastErrorMessage: 'timed out' } });
    });
    const unconfirmed = await api.app.inject({ method: 'GET', url: `/v1/posts/${created.id}`, headers: api.auth });
    expect(unconfirmed.json().error).toEqual({ code: 'outcome_unknown', message: 'timed out' });

    const retried = await api.app.inject({ method: 'POST', url: `/v1/posts/${created.id}/retry`, headers: api.auth });
    expect(retried.statusCode).toBe(202);
    expect(retried.json()).toMatchObject({ status: 'scheduled', generation: 1, attempts: 0, error: null, finishedAt: null });
    expect(Date.parse(retried.json().scheduledAt)).toBeLessThanOrEqual(Date.now());
    const job = await api.queues.publish.getJob(`publish-${created.id}-1`);
    expect(await job?.getState()).toMatch(/waiting|delayed|prioritized/);
    const detail = (await api.app.inject({ method: 'GET', url: `/v1/posts/${created.id}`, headers: api.auth })).json();
    expect(detail.events.map((event: { to: string }) => event.to)).toEqual(['scheduled', 'publishing', 'unconfirmed', 'scheduled']);
    expect(detail.events[3]).toMatchObject({ code: 'retry', data: { previousGeneration: 0, previousError: 'outcome_unknown' } });
  });

  it('documents the posts and accounts routes in the OpenAPI document, from the same schemas', async () => {
    const document = (await api.app.inject({ method: 'GET', url: '/docs/json' })).json();
    const create = document.paths['/v1/posts'].post;
    expect(Object.keys(create.requestBody.content['application/json'].schema.properties)).toEqual(
      expect.arrayContaining(['accountId', 'content', 'mediaItems', 'settings', 'scheduledAt', 'photoTitle', 'mediaType']),
    );
    expect(create.parameters).toEqual(expect.arrayContaining([expect.objectContaining({ in: 'header', name: 'idempotency-key' })]));
    expect(Object.keys(create.responses)).toEqual(expect.arrayContaining(['200', '202', '400', '409']));
    for (const path of ['/v1/posts/{id}', '/v1/posts/{id}/retry', '/v1/accounts', '/v1/accounts/{id}', '/v1/accounts/{id}/reauthorize']) {
      expect(document.paths).toHaveProperty([path]);
    }
  });

  it('lists posts newest first, by status and by account, one page at a time', async () => {
    const other = await createAccount(api);
    const mine: string[] = [];
    for (let index = 0; index < 5; index += 1) {
      mine.push((await post(api, videoBody(other.id, { content: `list ${index}` }))).json().id);
      await nextMillisecond();
    }
    const seen: string[] = [];
    let cursor: string | null = null;
    for (let page = 0; page < 10; page += 1) {
      const url: string = `/v1/posts?accountId=${other.id}&limit=2${cursor === null ? '' : `&cursor=${cursor}`}`;
      const response = await api.app.inject({ method: 'GET', url, headers: api.auth });
      expect(response.statusCode).toBe(200);
      const body = response.json<{ items: Array<{ id: string }>; nextCursor: string | null }>();
      expect(body.items.length).toBeLessThanOrEqual(2);
      seen.push(...body.items.map((item) => item.id));
      cursor = body.nextCursor;
      if (cursor === null) break;
    }
    expect(seen).toEqual([...mine].reverse());
    const cancelled = await api.app.inject({ method: 'GET', url: '/v1/posts?status=cancelled&limit=100', headers: api.auth });
    expect(cancelled.json().items.length).toBeGreaterThan(0);
    expect(cancelled.json().items.every((item: { status: string }) => item.status === 'cancelled')).toBe(true);
    const badStatus = await api.app.inject({ method: 'GET', url: '/v1/posts?status=lost', headers: api.auth });
    expect(badStatus.statusCode).toBe(400);
    expect(badStatus.json().error.fields).toHaveProperty('status');
  });
});
