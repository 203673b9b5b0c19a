import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { publishesFor, startOperatorWorld, waitForPost, type OperatorWorld } from './operator-world';
import { createAccount, tableCount, videoBody } from './publishing-fixtures';

describe('creator-info: cached look-up, refused settings at create time, and a re-check before sending', () => {
  let world: OperatorWorld;
  beforeAll(async () => {
    // The worker reads creator_info afresh before every publish, so a change made after scheduling shows.
    world = await startOperatorWorld({ worker: { CREATOR_INFO_TTL_S: '0' } });
  }, 30_000);
  afterAll(async () => {
    await world.close();
  }, 30_000);

  const creatorInfoCalls = () => world.sandbox.stats().requests.byEndpoint['GET /api/content/creator-info/:accountId']?.total ?? 0;

  it('GET /v1/accounts/:id/creator-info reads upstream once, then from cache; maxAge=0 reads again', async () => {
    const account = await createAccount(world.api);
    await world.admin('PUT', `/creator-info/${account.externalId}`, { privacy_level_options: ['SELF_ONLY', 'FOLLOWER_OF_CREATOR'], duet_disabled: true });
    const before = creatorInfoCalls();
    const first = await world.api.app.inject({ method: 'GET', url: `/v1/accounts/${account.id}/creator-info`, headers: world.api.auth });
    expect(first.statusCode, first.body).toBe(200);
    expect(first.json()).toMatchObject({ source: 'upstream', privacyLevelOptions: ['SELF_ONLY', 'FOLLOWER_OF_CREATOR'], duetDisabled: true, commentDisabled: false, stale: false });
    const second = await world.api.app.inject({ method: 'GET', url: `/v1/accounts/${account.id}/creator-info`, headers: world.api.auth });
    expect(second.json()).toMatchObject({ source: 'cache', fetchedAt: first.json<{ fetchedAt: string }>().fetchedAt });
    expect(creatorInfoCalls()).toBe(before + 1);
    const forced = await world.api.app.inject({ method: 'GET', url: `/v1/accounts/${account.id}/creator-info?maxAge=0`, headers: world.api.auth });
    expect(forced.json()).toMatchObject({ source: 'upstream' });
    expect(creatorInfoCalls()).toBe(before + 2);
    const bad = await world.api.app.inject({ method: 'GET', url: `/v1/accounts/${account.id}/creator-info?maxAge=-1`, headers: world.api.auth });
    expect(bad.statusCode).toBe(400);
    expect(bad.json<{ error: { fields: Record<string, string> } }>().error.fields).toHaveProperty('maxAge');
  });

  it('a privacy level or interaction the creator does not allow is a 400 naming the field, and nothing is written', async () => {
    const account = await createAccount(world.api);
    await world.admin('PUT', `/creator-info/${account.externalId}`, { privacy_level_options: ['SELF_ONLY'], duet_disabled: true });
    const posts = await tableCount(world.api, 'posts');
    const refused = await world.api.app.inject({ method: 'POST', url: '/v1/posts', headers: world.api.auth, payload: videoBody(account.id, { content: 'public please' }) });
    expect(refused.statusCode, refused.body).toBe(400);
    const fields = refused.json<{ error: { fields: Record<string, string> } }>().error.fields;
    expect(fields['settings.privacyLevel']).toContain('SELF_ONLY');
    expect(fields).toHaveProperty('settings.allowDuet');
    expect(await tableCount(world.api, 'posts')).toBe(posts);

    const allowed = await world.api.app.inject({
      method: 'POST',
      url: '/v1/posts',
      headers: world.api.auth,
      payload: videoBody(account.id, { content: 'private is fine', settings: { privacyLevel: 'SELF_ONLY', allowComment: true, allowDuet: false, allowStitch: false } }),
    });
    expect(allowed.statusCode, allowed.body).toBe(202);
  });

  it('settings changed after scheduling: the post fails with creator_settings_changed and is never sent', async () => {
    const account = await createAccount(world.api);
    const at = new Date(Date.now() + 1_500).toISOString();
    const created = await world.api.app.inject({ method: 'POST', url: '/v1/posts', headers: world.api.auth, payload: videoBody(account.id, { content: 'scheduled public', scheduledAt: at }) });
    expect(created.statusCode, created.body).toBe(202);
    await world.admin('PUT', `/creator-info/${account.externalId}`, { privacy_level_options: ['SELF_ONLY'] });
    const failed = await waitForPost(world.api, created.json<{ id: string }>().id, (post) => post.status === 'failed');
    expect(failed.error).toMatchObject({ code: 'creator_settings_changed', message: expect.stringContaining('settings.privacyLevel') });
    expect(publishesFor(world.sandbox, account.externalId)).toBe(0);
  });
});
