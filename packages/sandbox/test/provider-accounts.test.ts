import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startSandbox, type RunningSandbox } from '../src/index';
import { client, videoPost, type Api } from './helpers';
import type { AccountsResponse, AdminError, CheckResponse, CreatorInfoResponse, ProviderAccount } from './wire';

let sandbox: RunningSandbox;
let api: Api;

beforeAll(async () => {
  sandbox = await startSandbox({ port: 0, config: { quotaPerSecond: 0 } });
  api = client(sandbox);
});
afterAll(() => sandbox.close());
beforeEach(() => sandbox.reset());

const accounts = async () => {
  const response = await api.get<AccountsResponse>('/api/content/accounts');
  expect(response.status).toBe(200);
  return response.body.data;
};
const creatorInfo = async (accountId: string) => {
  const response = await api.get<CreatorInfoResponse>(`/api/content/creator-info/${accountId}`);
  expect(response.status).toBe(200);
  return response.body.data;
};

const ALL_LEVELS = ['PUBLIC_TO_EVERYONE', 'MUTUAL_FOLLOW_FRIENDS', 'FOLLOWER_OF_CREATOR', 'SELF_ONLY'];

describe('the provider account list', () => {
  it('gives the demo accounts avatars and counts, the same ones TikAPI serves for that account', async () => {
    const listed = await accounts();
    expect(listed.map((account) => account.accountId)).toEqual(['acct_100', 'acct_1000', 'acct_100000']);
    const profile = (await api.get<CheckResponse>('/public/check?username=user_1000')).body.userInfo;
    expect(listed[1]).toEqual({
      accountId: 'acct_1000',
      display_name: 'Sandbox acct_1000',
      username: 'user_1000',
      avatar_url: profile.user.avatarThumb,
      bio_description: 'Sandbox account acct_1000',
      followers: 1000,
      following: profile.stats.followingCount,
      likes: profile.stats.heartCount,
      videos: profile.stats.videoCount,
      is_verified: false,
    });
    // Deterministic: the same answer after a reset.
    sandbox.reset();
    expect(await accounts()).toEqual(listed);
  });

  it('after a PUT lists exactly the given accounts, with only the fields given, until reset', async () => {
    const given: ProviderAccount[] = [
      { accountId: 'aada5586-0000-4000-a000-000000000001', display_name: 'Account 1', username: 'account_1', avatar_url: 'https://cdn.example.test/a.jpg', followers: 1500, following: 300, likes: 12500, videos: 42, bio_description: 'My awesome bio', is_verified: false },
      { accountId: '8abd72f0-0000-4000-a000-000000000002', display_name: 'Account 2', username: 'account_2' },
    ];
    const put = await api.put<ProviderAccount[]>('/__sandbox/provider-accounts', given);
    expect(put.status).toBe(200);
    expect(put.body).toEqual(given);
    expect(await accounts()).toEqual(given);

    // Posting no longer adds to an exact list.
    expect((await api.post('/api/content/post', videoPost({ accountId: 'acct_9' }))).status).toBe(200);
    expect(await accounts()).toEqual(given);

    // The listed names are what creator-info reports for that account.
    expect(await creatorInfo('8abd72f0-0000-4000-a000-000000000002')).toMatchObject({ creator_username: 'account_2', creator_nickname: 'Account 2' });

    const emptied = await api.put<ProviderAccount[]>('/__sandbox/provider-accounts', []);
    expect(emptied.body).toEqual([]);
    expect(await accounts()).toEqual([]);

    await api.post('/__sandbox/reset', undefined, {});
    expect((await accounts()).map((account) => account.accountId)).toEqual(['acct_100', 'acct_1000', 'acct_100000']);
  });

  it('adds accounts that post, after the demo ones, in the default mode', async () => {
    await api.post('/api/content/post', videoPost({ accountId: 'acct_42' }));
    expect((await accounts()).map((account) => account.accountId)).toEqual(['acct_100', 'acct_1000', 'acct_100000', 'acct_42']);
  });

  it.each([
    [{ accountId: 'a' }, 'body'],
    [[{ username: 'u', display_name: 'd' }], '0.accountId'],
    [[{ accountId: 'a', username: 'u', display_name: 'd' }, { accountId: 'b', username: '', display_name: 'd' }], '1.username'],
    [[{ accountId: 'a', username: 'u', display_name: 'd', followers: -1 }], '0.followers'],
    [[{ accountId: 'a', username: 'u', display_name: 'd', likes: 1.5 }], '0.likes'],
    [[{ accountId: 'a', username: 'u', display_name: 'd', is_verified: 'yes' }], '0.is_verified'],
    [[{ accountId: 'a', username: 'u', display_name: 'd', surprise: 1 }], '0.surprise'],
    [[{ accountId: 'a', username: 'u', display_name: 'd' }, { accountId: 'a', username: 'v', display_name: 'e' }], '1.accountId'],
  ])('refuses %j with a 400 naming %s and keeps the list', async (body, field) => {
    const response = await api.put<AdminError>('/__sandbox/provider-accounts', body);
    expect(response.status).toBe(400);
    expect(response.body).toMatchObject({ ok: false, field });
    expect(await accounts()).toHaveLength(3);
  });
});

describe('creator-info overrides', () => {
  it('merges a partial override over the defaults for that account alone', async () => {
    const put = await api.put<Record<string, unknown>>('/__sandbox/creator-info/acct_7', { privacy_level_options: ['SELF_ONLY', 'FOLLOWER_OF_CREATOR'], duet_disabled: true });
    expect(put.status).toBe(200);
    expect(put.body).toEqual({
      accountId: 'acct_7',
      privacy_level_options: ['SELF_ONLY', 'FOLLOWER_OF_CREATOR'],
      comment_disabled: false,
      duet_disabled: true,
      stitch_disabled: false,
    });
    expect(await creatorInfo('acct_7')).toEqual({
      creator_avatar_url: expect.any(String),
      creator_username: 'user_7',
      creator_nickname: 'Sandbox acct_7',
      privacy_level_options: ['SELF_ONLY', 'FOLLOWER_OF_CREATOR'],
      comment_disabled: false,
      duet_disabled: true,
      stitch_disabled: false,
      max_video_post_duration_sec: 600,
    });
    expect(await creatorInfo('acct_8')).toMatchObject({ privacy_level_options: ALL_LEVELS, duet_disabled: false });
  });

  it('replaces the previous override instead of stacking on it, and reset drops it', async () => {
    await api.put('/__sandbox/creator-info/acct_7', { comment_disabled: true });
    await api.put('/__sandbox/creator-info/acct_7', { stitch_disabled: true });
    expect(await creatorInfo('acct_7')).toMatchObject({ comment_disabled: false, stitch_disabled: true, privacy_level_options: ALL_LEVELS });
    sandbox.reset();
    expect(await creatorInfo('acct_7')).toMatchObject({ comment_disabled: false, stitch_disabled: false });
  });

  it.each([
    [{ privacy_level_options: ['EVERYONE'] }, 'privacy_level_options.0'],
    [{ privacy_level_options: [] }, 'privacy_level_options'],
    [{ privacy_level_options: ['SELF_ONLY', 'SELF_ONLY'] }, 'privacy_level_options'],
    [{ privacy_level_options: 'SELF_ONLY' }, 'privacy_level_options'],
    [{ comment_disabled: 'no' }, 'comment_disabled'],
    [{ duet_disabled: null }, 'duet_disabled'],
    [{ max_video_post_duration_sec: 60 }, 'max_video_post_duration_sec'],
    [[], 'body'],
  ])('refuses %j with a 400 naming %s and changes nothing', async (body, field) => {
    const response = await api.put<AdminError>('/__sandbox/creator-info/acct_7', body);
    expect(response.status).toBe(400);
    expect(response.body).toMatchObject({ ok: false, field });
    expect(await creatorInfo('acct_7')).toMatchObject({ privacy_level_options: ALL_LEVELS, duet_disabled: false });
  });
});
