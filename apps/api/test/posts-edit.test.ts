import { testSandbox, waitFor } from '@pubcrawl/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApiWorkers, startTestApi, type ApiWorkers, type TestApi } from './harness';
import { createAccount, photoBody, QUICK_POLLING_ENV, tableCount, videoBody } from './publishing-fixtures';

interface PostView {
  id: string;
  status: string;
  generation: number;
  scheduledAt: string;
  request: { content: string; photoTitle?: string; mediaItems: Array<{ url: string }>; settings: Record<string, unknown> };
  events: Array<{ code: string | null; data: { fields?: string[] } | null }>;
}

const HOUR = 3_600_000;

describe('PATCH /v1/posts/:id: edit and reschedule against workers and the sandbox', () => {
  let api: TestApi;
  let sandbox: Awaited<ReturnType<typeof testSandbox>>;
  let workers: ApiWorkers;
  let accountId: string;
  let externalId: string;
  let counter = 0;

  beforeAll(async () => {
    sandbox = await testSandbox({ quotaPerSecond: 0, accountLimits: null, publishDurationMs: 200 });
    // The API reads creator_info from the same sandbox the workers publish to.
    api = await startTestApi({ POSTING_BASE_URL: sandbox.url, POSTING_API_KEY: QUICK_POLLING_ENV.POSTING_API_KEY });
    workers = startApiWorkers(api, sandbox, ['publish', 'publish-status'], { ...QUICK_POLLING_ENV, ACCOUNT_PUBLISH_PER_MINUTE: '1000' });
    const account = await createAccount(api);
    accountId = account.id;
    externalId = account.externalId;
  });
  afterAll(async () => {
    await workers?.stop();
    await api?.close();
    await sandbox?.close();
  });

  /** A post with content of its own, so the duplicate guard never links two tests' posts. */
  async function schedule(at: Date, overrides: Record<string, unknown> = {}): Promise<PostView> {
    counter += 1;
    const response = await api.app.inject({
      method: 'POST',
      url: '/v1/posts',
      headers: api.auth,
      payload: videoBody(accountId, { content: `edit test ${counter}`, scheduledAt: at.toISOString(), ...overrides }),
    });
    expect(response.statusCode, response.body).toBe(202);
    return response.json();
  }

  async function patch(id: string, payload: unknown) {
    return api.app.inject({ method: 'PATCH', url: `/v1/posts/${id}`, headers: api.auth, payload: payload as Record<string, unknown> });
  }

  async function getPost(id: string): Promise<PostView> {
    return (await api.app.inject({ method: 'GET', url: `/v1/posts/${id}`, headers: api.auth })).json();
  }

  function sandboxPublishes(): number {
    return sandbox.stats().publishes.filter((entry) => entry.accountId === externalId).reduce((sum, entry) => sum + entry.count, 0);
  }

  it('moves a post from an hour ahead to now, and it publishes within seconds', async () => {
    const created = await schedule(new Date(Date.now() + HOUR));
    const moved = await patch(created.id, { scheduledAt: new Date().toISOString() });
    expect(moved.statusCode, moved.body).toBe(200);
    expect(moved.json()).toMatchObject({ id: created.id, status: 'scheduled', generation: created.generation + 1 });
    const published = await waitFor(
      async () => {
        const view = await getPost(created.id);
        return view.status === 'published' ? view : undefined;
      },
      { timeoutMs: 10_000, describe: async () => (await getPost(created.id)).status },
    );
    expect(published.events.map((event) => event.code)).toContain('edited');
    // The old generation's delayed job is gone rather than left to skip itself an hour from now.
    expect(await api.queues.publish.getJob(`publish-${created.id}-${created.generation}`)).toBeUndefined();
  });

  it('moves a post from now to an hour ahead, and the old time does not publish it', async () => {
    const before = sandboxPublishes();
    const created = await schedule(new Date(Date.now() + 1_500));
    const moved = await patch(created.id, { scheduledAt: new Date(Date.now() + HOUR).toISOString() });
    expect(moved.statusCode, moved.body).toBe(200);
    await new Promise((resolve) => setTimeout(resolve, 3_500));
    const view = await getPost(created.id);
    expect(view).toMatchObject({ status: 'scheduled', generation: created.generation + 1 });
    expect(sandboxPublishes()).toBe(before);
    const job = await api.queues.publish.getJob(`publish-${created.id}-${created.generation + 1}`);
    expect(await job?.getState()).toBe('delayed');
  });

  it('records an edited event naming the changed fields, and stores the merged request', async () => {
    const created = await schedule(new Date(Date.now() + 2 * HOUR));
    const settings = { privacyLevel: 'SELF_ONLY', allowComment: false, allowDuet: false, allowStitch: false };
    const edited = await patch(created.id, { content: 'edited caption', settings });
    expect(edited.statusCode, edited.body).toBe(200);
    const view = await getPost(created.id);
    expect(view.request).toMatchObject({ content: 'edited caption', settings, mediaItems: created.request.mediaItems });
    const event = view.events.find((candidate) => candidate.code === 'edited');
    expect(event?.data?.fields).toEqual(['content', 'settings']);
  });

  it('turns a photo post into a video when the photo title is removed with it, and refuses it otherwise', async () => {
    counter += 1;
    const created = await api.app.inject({
      method: 'POST',
      url: '/v1/posts',
      headers: api.auth,
      payload: photoBody(accountId, 2, { content: `photos ${counter}`, scheduledAt: new Date(Date.now() + HOUR).toISOString() }),
    });
    expect(created.statusCode, created.body).toBe(202);
    const id = created.json<{ id: string }>().id;
    const video = { mediaItems: [{ url: 'https://cdn.example.com/now-a-video.mp4' }], settings: { privacyLevel: 'SELF_ONLY', allowComment: true, allowDuet: true, allowStitch: true } };
    const refused = await patch(id, video);
    expect(refused.statusCode).toBe(400);
    expect(Object.keys(refused.json().error.fields)).toContain('photoTitle');
    const accepted = await patch(id, { ...video, photoTitle: null });
    expect(accepted.statusCode, accepted.body).toBe(200);
    expect(accepted.json()).toMatchObject({ mediaType: 'video' });
  });

  it('refuses bad input with 400 naming the field, and writes nothing', async () => {
    const created = await schedule(new Date(Date.now() + 3 * HOUR));
    const events = await tableCount(api, 'post_events');
    const cases: Array<[unknown, string]> = [
      [{ mediaItems: [{ url: 'http://cdn.example.com/clip.mp4' }] }, 'mediaItems.0.url'],
      [{ content: 'x'.repeat(2_201) }, 'content'],
      [{ scheduledAt: 'tomorrow' }, 'scheduledAt'],
      [{ photoTitle: 'a title on a video' }, 'photoTitle'],
      [{ settings: { privacyLevel: 'NOBODY', allowComment: true } }, 'settings.privacyLevel'],
      [{ accountId }, 'accountId'],
      [{}, 'body'],
    ];
    for (const [payload, field] of cases) {
      const response = await patch(created.id, payload);
      expect(response.statusCode, JSON.stringify(payload)).toBe(400);
      expect(Object.keys(response.json().error.fields), JSON.stringify(payload)).toContain(field);
    }
    expect(await tableCount(api, 'post_events')).toBe(events);
    const view = await getPost(created.id);
    expect(view).toMatchObject({ generation: created.generation, scheduledAt: created.scheduledAt, request: created.request });
  });

  it("refuses a privacy level the creator's settings do not allow, naming settings.privacyLevel", async () => {
    const restricted = await createAccount(api);
    const response = await fetch(`${sandbox.url}/__sandbox/creator-info/${restricted.externalId}`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ privacy_level_options: ['SELF_ONLY'], comment_disabled: false, duet_disabled: false, stitch_disabled: false }),
    });
    expect(response.status).toBe(200);
    counter += 1;
    const scheduled = await api.app.inject({
      method: 'POST',
      url: '/v1/posts',
      headers: api.auth,
      payload: videoBody(restricted.id, {
        content: `restricted ${counter}`,
        scheduledAt: new Date(Date.now() + 4 * HOUR).toISOString(),
        settings: { privacyLevel: 'SELF_ONLY', allowComment: true, allowDuet: false, allowStitch: false },
      }),
    });
    expect(scheduled.statusCode, scheduled.body).toBe(202);
    const created = scheduled.json<PostView>();
    const refused = await patch(created.id, { settings: { privacyLevel: 'PUBLIC_TO_EVERYONE', allowComment: true, allowDuet: false, allowStitch: false } });
    expect(refused.statusCode).toBe(400);
    expect(Object.keys(refused.json().error.fields)).toEqual(['settings.privacyLevel']);
    expect((await getPost(created.id)).generation).toBe(created.generation);
  });

  it('answers 409 naming status once publishing has started, and for a finished post', async () => {
    const created = await schedule(new Date(Date.now() + 5 * HOUR));
    await api.db.pool.query("update posts set status = 'publishing', submitted_at = now() where id = $1", [created.id]);
    const during = await patch(created.id, { content: 'too late' });
    expect(during.statusCode).toBe(409);
    expect(during.json().error.fields).toEqual({ status: 'publishing' });
    await api.db.pool.query("update posts set status = 'published' where id = $1", [created.id]);
    expect((await patch(created.id, { content: 'too late' })).json().error.fields).toEqual({ status: 'published' });
    expect((await getPost(created.id)).request.content).toBe(created.request.content);
  });

  it('edits a parked post without enqueueing it, and 404s an unknown one', async () => {
    const created = await schedule(new Date(Date.now() + 6 * HOUR));
    await api.db.pool.query("update posts set status = 'reauth_required' where id = $1", [created.id]);
    const edited = await patch(created.id, { scheduledAt: new Date(Date.now() + 7 * HOUR).toISOString() });
    expect(edited.statusCode, edited.body).toBe(200);
    expect(edited.json()).toMatchObject({ status: 'reauth_required', generation: created.generation + 1 });
    expect(await api.queues.publish.getJob(`publish-${created.id}-${created.generation + 1}`)).toBeUndefined();
    expect((await patch('6f1c2b8e-0000-4000-8000-000000000000', { content: 'x' })).statusCode).toBe(404);
  });
});
