import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startSandbox, type RunningSandbox } from '../src/index';
import { encodeLegacyFollowerCursor } from '../src/cursors';
import { API_KEY, client, pageAll, query, secUidOf, type Api } from './helpers';
import type { FollowersResponse, TikapiError } from './wire';

let sandbox: RunningSandbox;
let api: Api;

beforeAll(async () => {
  sandbox = await startSandbox({ port: 0, config: { quotaPerSecond: 0 } });
  api = client(sandbox);
});
afterAll(() => sandbox.close());
beforeEach(() => sandbox.reset());

describe('GET /public/followers', () => {
  it('pages user_95 as 30, 30, 30, 5 and yields 95 distinct followers in the same order twice', async () => {
    const secUid = await secUidOf(api, 'user_95');
    const first = await pageAll(api, '/public/followers', { secUid, count: 30 });
    expect(first.map((page) => page.userList.length)).toEqual([30, 30, 30, 5]);
    expect(first.every((page) => page.total === 95)).toBe(true);
    expect(first.at(-1)?.hasMore).toBe(false);

    const ids = first.flatMap((page) => page.userList.map((entry) => entry.user.id));
    expect(new Set(ids).size).toBe(95);
    expect(ids.every((id) => /^\d{19}$/.test(id))).toBe(true);

    const second = await pageAll(api, '/public/followers', { secUid, count: 30 });
    expect(second.flatMap((page) => page.userList.map((entry) => entry.user.id))).toEqual(ids);
  });

  it('resumes from a saved cursor with exactly the followers not yet seen', async () => {
    const secUid = await secUidOf(api, 'user_95');
    const all = (await pageAll(api, '/public/followers', { secUid, count: 30 })).flatMap((page) => page.userList);
    const firstPage = await api.get<FollowersResponse>(`/public/followers?${query({ secUid, count: 30 })}`);
    const saved = firstPage.body.nextCursor;
    expect(saved).toBe(30);

    const rest = (await pageAll(api, '/public/followers', { secUid, count: 30, nextCursor: saved })).flatMap((page) => page.userList);
    expect(rest.map((entry) => entry.user.id)).toEqual(all.slice(30).map((entry) => entry.user.id));
  });

  it('serves all 20000 followers of user_20000 without repeats', async () => {
    const secUid = await secUidOf(api, 'user_20000');
    const pages = await pageAll(api, '/public/followers', { secUid, count: 30 });
    const ids = new Set(pages.flatMap((page) => page.userList.map((entry) => entry.user.id)));
    expect(pages).toHaveLength(Math.ceil(20000 / 30));
    expect(ids.size).toBe(20000);
  });

  it('sends nextCursor as a number, and 0 on the last page so the SDK stops asking', async () => {
    const secUid = await secUidOf(api, 'user_95');
    const pages = await pageAll(api, '/public/followers', { secUid, count: 30 });
    expect(pages.map((page) => page.nextCursor)).toEqual([30, 60, 90, 0]);
    expect(pages.map((page) => page.hasMore)).toEqual([true, true, true, false]);
  });

  it('still accepts the old base64 cursor, as a crawl checkpointed before the switch holds it', async () => {
    const secUid = await secUidOf(api, 'user_95');
    const numeric = await api.get<FollowersResponse>(`/public/followers?${query({ secUid, nextCursor: 60 })}`);
    const legacy = await api.get<FollowersResponse>(`/public/followers?${query({ secUid, nextCursor: encodeLegacyFollowerCursor(60) })}`);
    expect(legacy.status).toBe(200);
    expect(legacy.body).toEqual(numeric.body);
    expect(numeric.body.userList).toHaveLength(30);
  });

  it('answers a page past the end with an empty list and hasMore false', async () => {
    const secUid = await secUidOf(api, 'user_5');
    const last = await api.get<FollowersResponse>(`/public/followers?${query({ secUid })}`);
    expect(last.body.userList).toHaveLength(5);
    expect(last.body.hasMore).toBe(false);
    const beyond = await api.get<FollowersResponse>(`/public/followers?${query({ secUid, nextCursor: 5 })}`);
    expect(beyond.status).toBe(200);
    expect(beyond.body.userList).toEqual([]);
    expect(beyond.body.hasMore).toBe(false);
  });

  it.each(['31', '0', '1.5', 'ten', '-3'])('rejects count=%s with a 400 naming count', async (count) => {
    const secUid = await secUidOf(api, 'user_95');
    const response = await api.get<TikapiError>(`/public/followers?secUid=${secUid}&count=${count}`);
    expect(response.status).toBe(400);
    expect(response.body.status).toBe('error');
    expect(Object.keys(response.body.fields ?? {})).toEqual(['count']);
  });

  it.each(['c2J4LWZjMTpY', '-30', '1.5', 'abc'])('rejects nextCursor=%s, which it never issued, with a 400 naming nextCursor', async (nextCursor) => {
    const secUid = await secUidOf(api, 'user_95');
    const response = await api.get<TikapiError>(`/public/followers?${query({ secUid, nextCursor })}`);
    expect(response.status).toBe(400);
    expect(response.body.fields).toHaveProperty('nextCursor');
  });

  it('requires secUid and answers an unknown one with 10202', async () => {
    const missing = await api.get<TikapiError>('/public/followers');
    expect(missing.status).toBe(400);
    expect(missing.body).toEqual({
      status: 'error',
      message: 'Missing fields.',
      fields: { secUid: 'A valid TikTok secUid is required.' },
    });

    const unknown = await api.get<TikapiError>('/public/followers?secUid=MS4wLjABAAAAsHntXC3s0AvxcecggxsoVa4eAiT8OVafVZ4OQXxy');
    expect(unknown.status).toBe(403);
    expect(unknown.body).toEqual({ status: 'error', message: "User doesn't exist", statusCode: 10202 });
  });

  it('lets a listed follower be crawled in turn, with the follower count it advertised', async () => {
    const secUid = await secUidOf(api, 'user_3');
    const page = await api.get<FollowersResponse>(`/public/followers?${query({ secUid })}`);
    const fan = page.body.userList[0];
    expect(fan).toBeDefined();
    const fanPages = await pageAll(api, '/public/followers', { secUid: fan?.user.secUid ?? '' });
    expect(fanPages.reduce((sum, each) => sum + each.userList.length, 0)).toBe(fan?.stats.followerCount);
  });
});

describe('GET /user/followers', () => {
  it('requires an account key', async () => {
    const response = await api.get<TikapiError>('/user/followers', { 'X-API-KEY': API_KEY });
    expect(response.status).toBe(400);
    expect(response.body.fields).toEqual({ 'X-ACCOUNT-KEY': 'A valid Account Key is required.' });
  });

  it('lists the own followers of acct_<N> as user_N', async () => {
    const headers = { 'X-API-KEY': API_KEY, 'X-ACCOUNT-KEY': 'acct_40' };
    const own = await pageAll(api, '/user/followers', {}, headers);
    const secUid = await secUidOf(api, 'user_40');
    const viaPublic = await pageAll(api, '/public/followers', { secUid });
    expect(own.flatMap((page) => page.userList)).toEqual(viaPublic.flatMap((page) => page.userList));
  });

  it('gives any other account key 100 own followers', async () => {
    const pages = await pageAll(api, '/user/followers', {}, { 'X-API-KEY': API_KEY, 'X-ACCOUNT-KEY': 'opaque-session-token' });
    expect(pages.flatMap((page) => page.userList)).toHaveLength(100);
  });

  it("lists another user's followers when given a secUid", async () => {
    const secUid = await secUidOf(api, 'user_7');
    const pages = await pageAll(api, '/user/followers', { secUid }, { 'X-API-KEY': API_KEY, 'X-ACCOUNT-KEY': 'acct_1' });
    expect(pages.flatMap((page) => page.userList)).toHaveLength(7);
  });
});
