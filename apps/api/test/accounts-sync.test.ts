import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { publishesFor, startOperatorWorld, waitForPost, type OperatorWorld } from './operator-world';
import { tableCount, videoBody } from './publishing-fixtures';

interface AccountView {
  id: string;
  externalId: string;
  status: string;
  username: string | null;
  displayName: string | null;
  profile: Record<string, unknown> | null;
}
interface SyncAnswer {
  created: AccountView[];
  updated: AccountView[];
  relinked: AccountView[];
  unlinked: AccountView[];
}

const first = { accountId: 'acct_sync_1', username: 'sync_one', display_name: 'Sync One', avatar_url: 'https://p16.example/one.jpg', followers: 10, following: 2, likes: 30, videos: 4 };
const second = { accountId: 'acct_sync_2', username: 'sync_two', display_name: 'Sync Two', followers: 5 };

describe('POST /v1/accounts/sync imports what the provider lists', () => {
  let world: OperatorWorld;
  beforeAll(async () => {
    world = await startOperatorWorld();
  }, 30_000);
  afterAll(async () => {
    await world.close();
  }, 30_000);

  async function sync(): Promise<SyncAnswer> {
    const response = await world.api.app.inject({ method: 'POST', url: '/v1/accounts/sync', headers: world.api.auth, payload: { provider: 'posting' } });
    expect(response.statusCode, response.body).toBe(200);
    return response.json();
  }

  it('adds, is idempotent, updates, and marks unlinked; an unlinked account holds its due posts until it is listed again', async () => {
    await world.admin('PUT', '/provider-accounts', [first, second]);
    const added = await sync();
    expect(added.created.map((account) => account.externalId).sort()).toEqual(['acct_sync_1', 'acct_sync_2']);
    expect(added.created.find((account) => account.externalId === 'acct_sync_1')).toMatchObject({
      username: 'sync_one',
      displayName: 'Sync One',
      status: 'active',
      profile: { avatar_url: 'https://p16.example/one.jpg', followers: 10, following: 2, likes: 30, videos: 4 },
    });
    const accounts = await tableCount(world.api, 'accounts');

    const again = await sync();
    expect(again.created).toEqual([]);
    expect(again.unlinked).toEqual([]);
    expect(again.updated).toHaveLength(2);
    expect(await tableCount(world.api, 'accounts')).toBe(accounts);

    // Scheduled while the account is linked, due just after it stops being listed.
    const secondId = again.updated.find((account) => account.externalId === 'acct_sync_2')?.id ?? '';
    const dueAt = new Date(Date.now() + 1_500).toISOString();
    const created = await world.api.app.inject({ method: 'POST', url: '/v1/posts', headers: world.api.auth, payload: videoBody(secondId, { content: 'while unlinked', scheduledAt: dueAt }) });
    expect(created.statusCode, created.body).toBe(202);
    const postId = created.json<{ id: string }>().id;

    await world.admin('PUT', '/provider-accounts', [{ ...first, display_name: 'Sync One Renamed', followers: 11 }]);
    const changed = await sync();
    expect(changed.updated).toEqual([expect.objectContaining({ externalId: 'acct_sync_1', displayName: 'Sync One Renamed', profile: expect.objectContaining({ followers: 11 }) })]);
    expect(changed.unlinked).toEqual([expect.objectContaining({ externalId: 'acct_sync_2', status: 'unlinked' })]);
    expect(changed.unlinked[0]?.id).toBe(secondId);

    // Due on an unlinked account: it waits, with the reason, and nothing reaches the provider.
    const waiting = await waitForPost(world.api, postId, (post) => post.waiting?.reason === 'account_unlinked');
    expect(waiting).toMatchObject({ status: 'scheduled', waiting: { reason: 'account_unlinked', until: null, message: expect.stringContaining('link it again') } });
    expect(publishesFor(world.sandbox, 'acct_sync_2')).toBe(0);

    await world.admin('PUT', '/provider-accounts', [first, second]);
    const back = await sync();
    expect(back.relinked).toEqual([expect.objectContaining({ externalId: 'acct_sync_2', status: 'active' })]);
    const published = await waitForPost(world.api, postId, (post) => post.status === 'published');
    expect(published.waiting).toBeNull();
    expect(publishesFor(world.sandbox, 'acct_sync_2')).toBe(1);
  });

  it('an empty provider list changes nothing (502), and a sync never revives an account an operator deleted', async () => {
    await world.admin('PUT', '/provider-accounts', [first]);
    await sync();
    const before = await world.api.db.pool.query<{ status: string }>("select status from accounts where provider = 'posting' order by external_id");
    await world.admin('PUT', '/provider-accounts', []);
    const empty = await world.api.app.inject({ method: 'POST', url: '/v1/accounts/sync', headers: world.api.auth, payload: { provider: 'posting' } });
    expect(empty.statusCode).toBe(502);
    const after = await world.api.db.pool.query<{ status: string }>("select status from accounts where provider = 'posting' order by external_id");
    expect(after.rows).toEqual(before.rows);

    await world.admin('PUT', '/provider-accounts', [first]);
    const listed = await sync();
    const id = [...listed.updated, ...listed.relinked].find((account) => account.externalId === 'acct_sync_1')?.id ?? '';
    expect((await world.api.app.inject({ method: 'DELETE', url: `/v1/accounts/${id}`, headers: world.api.auth })).statusCode).toBe(200);
    await sync();
    const view = await world.api.app.inject({ method: 'GET', url: `/v1/accounts/${id}`, headers: world.api.auth });
    expect(view.json()).toMatchObject({ status: 'deleted' });
    const reauthorize = await world.api.app.inject({ method: 'POST', url: `/v1/accounts/${id}/reauthorize`, headers: world.api.auth, payload: {} });
    expect(reauthorize.statusCode).toBe(409);
  });

  it('refuses another provider, naming the field', async () => {
    const response = await world.api.app.inject({ method: 'POST', url: '/v1/accounts/sync', headers: world.api.auth, payload: { provider: 'tikapi' } });
    expect(response.statusCode).toBe(400);
    expect(response.json<{ error: { fields: Record<string, string> } }>().error.fields).toHaveProperty('provider');
  });
});
