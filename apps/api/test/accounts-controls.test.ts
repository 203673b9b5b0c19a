import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getPost, publishesFor, startOperatorWorld, waitForPost, type OperatorWorld } from './operator-world';
import { createAccount, videoBody } from './publishing-fixtures';

describe('account controls: rename, pause, delete', () => {
  let world: OperatorWorld;
  beforeAll(async () => {
    world = await startOperatorWorld();
  }, 30_000);
  afterAll(async () => {
    await world.close();
  }, 30_000);

  const patch = (id: string, payload: unknown) => world.api.app.inject({ method: 'PATCH', url: `/v1/accounts/${id}`, headers: world.api.auth, payload: payload as Record<string, unknown> });

  it('a paused account holds its due posts with account_paused, and sends them when resumed', async () => {
    const account = await createAccount(world.api);
    const renamed = await patch(account.id, { label: 'Renamed', paused: true });
    expect(renamed.statusCode, renamed.body).toBe(200);
    expect(renamed.json()).toMatchObject({ label: 'Renamed', paused: true });

    const created = await world.api.app.inject({ method: 'POST', url: '/v1/posts', headers: world.api.auth, payload: videoBody(account.id, { content: 'paused' }) });
    const postId = created.json<{ id: string }>().id;
    const held = await waitForPost(world.api, postId, (post) => post.waiting?.reason === 'account_paused');
    expect(held.status).toBe('scheduled');
    // Several rechecks pass while it waits; the timeline says so once.
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    const timeline = await getPost(world.api, postId);
    expect(timeline.events?.filter((event) => event.code === 'waiting')).toHaveLength(1);
    expect(publishesFor(world.sandbox, account.externalId)).toBe(0);

    expect((await patch(account.id, { paused: false })).statusCode).toBe(200);
    const published = await waitForPost(world.api, postId, (post) => post.status === 'published', 5_000);
    expect(published.waiting).toBeNull();
  });

  it('DELETE cancels unstarted posts with a reason, disables its schedules, keeps history; 409 while a post is publishing', async () => {
    const account = await createAccount(world.api);
    const later = new Date(Date.now() + 3_600_000).toISOString();
    const created = await world.api.app.inject({ method: 'POST', url: '/v1/posts', headers: world.api.auth, payload: videoBody(account.id, { content: 'later', scheduledAt: later }) });
    const postId = created.json<{ id: string }>().id;
    // Schedules crawl with TikAPI accounts: deleting one disables them.
    const crawler = await createAccount(world.api, { provider: 'tikapi', credentials: { accountKey: 'crawler-key' } });
    const schedule = await world.api.app.inject({
      method: 'POST',
      url: '/v1/schedules',
      headers: world.api.auth,
      payload: { name: 'followers of the account', cron: '0 * * * *', timezone: 'UTC', crawl: { kind: 'followers', target: { username: 'someone' }, accountId: crawler.id } },
    });
    expect(schedule.statusCode, schedule.body).toBe(201);

    // A post being processed still needs the account.
    const busy = await world.api.app.inject({ method: 'POST', url: '/v1/posts', headers: world.api.auth, payload: videoBody(account.id, { content: 'busy', scheduledAt: later }) });
    const busyId = busy.json<{ id: string }>().id;
    await world.api.db.pool.query("update posts set status = 'processing', publish_id = 'p_busy' where id = $1", [busyId]);
    const refused = await world.api.app.inject({ method: 'DELETE', url: `/v1/accounts/${account.id}`, headers: world.api.auth });
    expect(refused.statusCode).toBe(409);
    expect((await getPost(world.api, postId)).status).toBe('scheduled');
    await world.api.db.pool.query("update posts set status = 'published' where id = $1", [busyId]);

    const deleted = await world.api.app.inject({ method: 'DELETE', url: `/v1/accounts/${account.id}`, headers: world.api.auth });
    expect(deleted.statusCode, deleted.body).toBe(200);
    expect(deleted.json()).toMatchObject({ status: 'deleted', cancelledPosts: 1, disabledSchedules: 0 });
    const crawlerDeleted = await world.api.app.inject({ method: 'DELETE', url: `/v1/accounts/${crawler.id}`, headers: world.api.auth });
    expect(crawlerDeleted.json()).toMatchObject({ status: 'deleted', cancelledPosts: 0, disabledSchedules: 1 });
    const cancelled = await getPost(world.api, postId);
    expect(cancelled.status).toBe('cancelled');
    expect(cancelled.events?.at(-1)).toMatchObject({ code: 'account_deleted', to: 'cancelled' });
    const scheduleView = await world.api.app.inject({ method: 'GET', url: `/v1/schedules/${schedule.json<{ id: string }>().id}`, headers: world.api.auth });
    expect(scheduleView.json()).toMatchObject({ enabled: false });
    // History stays readable.
    expect((await getPost(world.api, busyId)).status).toBe('published');
    expect((await world.api.app.inject({ method: 'GET', url: `/v1/accounts/${account.id}`, headers: world.api.auth })).json()).toMatchObject({ status: 'deleted' });
    expect((await world.api.app.inject({ method: 'DELETE', url: `/v1/accounts/${account.id}`, headers: world.api.auth })).statusCode).toBe(404);
  });

  it('bad input names the field and changes nothing', async () => {
    const account = await createAccount(world.api);
    const empty = await patch(account.id, {});
    expect(empty.statusCode).toBe(400);
    const wrongType = await patch(account.id, { paused: 'yes' });
    expect(wrongType.statusCode).toBe(400);
    expect(wrongType.json<{ error: { fields: Record<string, string> } }>().error.fields).toHaveProperty('paused');
    const unknownField = await patch(account.id, { externalId: 'other' });
    expect(unknownField.statusCode).toBe(400);
    const after = await world.api.app.inject({ method: 'GET', url: `/v1/accounts/${account.id}`, headers: world.api.auth });
    expect(after.json()).toMatchObject({ paused: false, label: `Account ${account.externalId}` });
  });
});
