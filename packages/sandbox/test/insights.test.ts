import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { followerChanges, followersOnDay, profileStatsOnDay, startSandbox, type RunningSandbox } from '../src/index';
import { client, pageAll, photoPost, query, secUidOf, sleep, videoPost, type Api } from './helpers';
import type { CheckResponse, PostResponse, PostsResponse, StatusResponse, TikapiError, VideoResponse, WireVideo } from './wire';

let sandbox: RunningSandbox;
let api: Api;
const PUBLISH_MS = 30;

beforeAll(async () => {
  sandbox = await startSandbox({ port: 0, config: { quotaPerSecond: 0, publishDurationMs: PUBLISH_MS } });
  api = client(sandbox);
});
afterAll(() => sandbox.close());
beforeEach(() => sandbox.reset());

const idsOf = (pages: Array<{ userList: Array<{ user: { id: string } }> }>) => pages.flatMap((page) => page.userList.map((entry) => entry.user.id));

async function crawlFollowers(username: string): Promise<string[]> {
  return idsOf(await pageAll(api, '/public/followers', { secUid: await secUidOf(api, username), count: 30 }));
}

async function allPosts(secUid: string): Promise<WireVideo[]> {
  const items: WireVideo[] = [];
  let cursor: string | undefined;
  for (;;) {
    const page = await api.get<PostsResponse>(`/public/posts?${query({ secUid, cursor })}`);
    if (page.status !== 200) throw new Error(`posts page failed with ${page.status}`);
    items.push(...page.body.itemList);
    if (!page.body.hasMore) return items;
    cursor = page.body.cursor;
  }
}

/** Publishes and waits for PUBLISH_COMPLETE; returns the video id from its public URL. */
async function publish(body: Record<string, unknown>): Promise<{ publishId: string; videoId: string | null; url: string | undefined }> {
  const posted = await api.post<PostResponse>('/api/content/post', body);
  if (posted.status !== 200) throw new Error(`post failed with ${posted.status}`);
  const publishId = posted.body.data.publish_id;
  await sleep(PUBLISH_MS + 20);
  const status = await api.get<StatusResponse>(`/api/content/status/${String(body['accountId'])}/${publishId}`);
  const url = status.body.data.public_post_url;
  return { publishId, url, videoId: url === undefined ? null : (/\/video\/(\d+)$/.exec(url)?.[1] ?? null) };
}

describe('follower churn by sandbox day', () => {
  it('serves the day-0 list unchanged, then gains and loses exactly what followerChanges says on day 1', async () => {
    const day0 = await crawlFollowers('user_1000');
    expect(day0).toEqual(followersOnDay('user_1000', 0).map((entry) => entry.user.id));

    sandbox.configure({ day: 1 });
    const day1 = await crawlFollowers('user_1000');
    const before = new Set(day0);
    const after = new Set(day1);
    const gained = day1.filter((id) => !before.has(id));
    const lost = day0.filter((id) => !after.has(id));

    const expected = followerChanges('user_1000', 0, 1);
    expect(gained).toEqual(expected.gained.map((entry) => entry.user.id));
    expect(lost).toEqual(expected.lost.map((entry) => entry.user.id));
    // Slots 9, 109, …, 909 leave on day 1; ceil(1000 / 50) = 20 join.
    expect(lost).toEqual([9, 109, 209, 309, 409, 509, 609, 709, 809, 909].map((slot) => day0[slot]));
    expect(gained).toHaveLength(20);
    expect(day1).toHaveLength(1_010);
  });

  it('grows the profile stats with the day, as profileStatsOnDay computes them', async () => {
    const seen: CheckResponse['userInfo']['stats'][] = [];
    for (const day of [0, 1, 2]) {
      sandbox.configure({ day });
      const check = await api.get<CheckResponse>('/public/check?username=user_1000');
      expect(check.body.userInfo.stats).toEqual(profileStatsOnDay('user_1000', day));
      seen.push(check.body.userInfo.stats);
    }
    for (const key of ['followerCount', 'followingCount', 'heartCount', 'videoCount'] as const) {
      expect(seen.map((stats) => stats[key])).toEqual([...seen.map((stats) => stats[key])].sort((a, b) => a - b));
      expect(seen[2]?.[key]).toBeGreaterThan(seen[0]?.[key] ?? Infinity);
    }
    expect(seen.map((stats) => stats.followerCount)).toEqual([1_000, 1_010, 1_020]);
  });

  it('keeps /user/followers on the same churn as /public/followers', async () => {
    sandbox.configure({ day: 2 });
    const own = idsOf(await pageAll(api, '/user/followers', {}, { 'X-API-KEY': 'test-key', 'X-ACCOUNT-KEY': 'acct_300' }));
    expect(own).toEqual(followersOnDay('user_300', 2).map((entry) => entry.user.id));
  });

  it('flags private_N as private and lists none of its followers or posts', async () => {
    const check = await api.get<CheckResponse>('/public/check?username=private_40');
    expect(check.body.userInfo.user.privateAccount).toBe(true);
    expect(check.body.userInfo.stats.followerCount).toBe(40);
    const secUid = check.body.userInfo.user.secUid;
    expect(idsOf(await pageAll(api, '/public/followers', { secUid }))).toEqual([]);
    expect(await allPosts(secUid)).toEqual([]);
    const normal = await api.get<CheckResponse>('/public/check?username=user_40');
    expect(normal.body.userInfo.user.privateAccount).toBe(false);
  });
});

describe('GET /public/posts', () => {
  it("pages user_95's posts newest first with digit cursors, each post once, as many as videoCount", async () => {
    const secUid = await secUidOf(api, 'user_95');
    const check = await api.get<CheckResponse>('/public/check?username=user_95');
    const first = await api.get<PostsResponse>(`/public/posts?${query({ secUid, count: 10 })}`);
    expect(first.body.itemList).toHaveLength(10);
    expect(first.body.cursor).toMatch(/^\d+$/);
    expect(first.body.hasMore).toBe(true);

    const posts = await allPosts(secUid);
    expect(posts).toHaveLength(check.body.userInfo.stats.videoCount);
    expect(new Set(posts.map((post) => post.id)).size).toBe(posts.length);
    const times = posts.map((post) => post.createTime);
    expect(times).toEqual([...times].sort((a, b) => b - a));
    expect(posts.every((post) => post.author.uniqueId === 'user_95')).toBe(true);
  });

  it('adds one post at the top each day and grows the stats of the older ones', async () => {
    const secUid = await secUidOf(api, 'user_95');
    const day0 = await allPosts(secUid);
    sandbox.configure({ day: 1 });
    const day1 = await allPosts(secUid);
    expect(day1).toHaveLength(day0.length + 1);
    expect(day1.slice(1).map((post) => post.id)).toEqual(day0.map((post) => post.id));
    const [then, now] = [day0[0], day1[1]];
    expect(now?.stats.playCount).toBeGreaterThan(then?.stats.playCount ?? Infinity);
    expect(now?.stats.diggCount).toBeGreaterThan(then?.stats.diggCount ?? Infinity);
  });

  it('shows a completed public publish first, with its caption, publish time and the id of its public URL', async () => {
    const before = Math.floor(Date.now() / 1000);
    const { videoId, url } = await publish(videoPost({ accountId: 'acct_95', content: 'Launch day #pubcrawl' }));
    expect(url).toMatch(/^https:\/\/www\.tiktok\.com\/@user_95\/video\/\d{19}$/);
    const feed = await allPosts(await secUidOf(api, 'user_95'));
    expect(feed[0]).toMatchObject({ id: videoId, desc: 'Launch day #pubcrawl', author: { uniqueId: 'user_95' } });
    expect(feed[0]?.createTime).toBeGreaterThanOrEqual(before);
    expect(feed[0]?.createTime).toBeLessThanOrEqual(Math.ceil(Date.now() / 1000));
    const check = await api.get<CheckResponse>('/public/check?username=user_95');
    expect(check.body.userInfo.stats.videoCount).toBe(profileStatsOnDay('user_95', 0).videoCount + 1);
  });

  it('leaves out posts still processing, private ones and drafts', async () => {
    await api.post('/api/content/post', videoPost({ accountId: 'acct_96', content: 'still uploading' }, {}));
    const processing = await allPosts(await secUidOf(api, 'user_96'));
    expect(processing.some((post) => post.desc === 'still uploading')).toBe(false);

    const secret = await publish(videoPost({ accountId: 'acct_97', content: 'only me' }, { privacy_level: 'SELF_ONLY' }));
    const friends = await publish(videoPost({ accountId: 'acct_97', content: 'friends only' }, { privacy_level: 'MUTUAL_FOLLOW_FRIENDS' }));
    const draft = await publish(videoPost({ accountId: 'acct_97', content: 'a draft' }, { draft: true }));
    const feed = await allPosts(await secUidOf(api, 'user_97'));
    const captions = feed.map((post) => post.desc);
    expect(captions).not.toContain('only me');
    expect(captions).not.toContain('friends only');
    expect(captions).not.toContain('a draft');
    expect(draft.url).toBeUndefined();
    expect(secret.videoId).not.toBeNull();
    expect(friends.videoId).not.toBeNull();
    const check = await api.get<CheckResponse>('/public/check?username=user_97');
    expect(check.body.userInfo.stats.videoCount).toBe(profileStatsOnDay('user_97', 0).videoCount);
  });

  it('gives an account whose username is not user_N a profile and a feed of its publishes', async () => {
    // The provider names an unknown accountId after the id itself, with `-` made `_`.
    const { videoId, url } = await publish(photoPost(3, { accountId: 'studio-account-7', content: 'Carousel caption' }));
    expect(url).toContain('/@studio_account_7/video/');
    const check = await api.get<CheckResponse>('/public/check?username=studio_account_7');
    expect(check.status).toBe(200);
    const feed = await allPosts(check.body.userInfo.user.secUid);
    expect(feed.map((post) => [post.id, post.desc])).toEqual([[videoId, 'Carousel caption']]);
    const unknown = await api.get<TikapiError>('/public/check?username=nobody-posted-here');
    expect(unknown.status).toBe(403);
  });

  it('refuses a cursor that is not digits', async () => {
    const secUid = await secUidOf(api, 'user_95');
    const response = await api.get<TikapiError>(`/public/posts?${query({ secUid, cursor: 'abc' })}`);
    expect(response.status).toBe(400);
    expect(response.body.fields).toHaveProperty('cursor');
  });
});

describe('GET /public/video', () => {
  it('describes a published post, a user post and a hashtag video by id, with stats growing by day', async () => {
    const { videoId } = await publish(videoPost({ accountId: 'acct_95', content: 'Look me up' }));
    const published = await api.get<VideoResponse>(`/public/video?id=${videoId ?? ''}`);
    expect(published.status).toBe(200);
    expect(published.body.itemInfo.itemStruct).toMatchObject({ id: videoId, desc: 'Look me up', author: { uniqueId: 'user_95' } });

    const post = (await allPosts(await secUidOf(api, 'user_95')))[5];
    const tagVideo = (await api.get<{ itemList: WireVideo[] }>('/public/hashtag?name=tag_70')).body.itemList[3];
    for (const video of [post, tagVideo]) {
      const found = await api.get<VideoResponse>(`/public/video?id=${video?.id ?? ''}`);
      expect(found.body.itemInfo.itemStruct).toEqual(video);
    }

    sandbox.configure({ day: 2 });
    for (const id of [videoId, post?.id, tagVideo?.id]) {
      const later = await api.get<VideoResponse>(`/public/video?id=${id ?? ''}`);
      const earlier = id === videoId ? published.body.itemInfo.itemStruct : id === post?.id ? post : tagVideo;
      expect(later.body.itemInfo.itemStruct.stats.playCount).toBeGreaterThan(earlier?.stats.playCount ?? Infinity);
    }
  });

  it("answers an unknown id with TikAPI's 403 10204 and a private post's with 10216", async () => {
    const unknown = await api.get<TikapiError>('/public/video?id=7000000000000000001');
    expect(unknown.status).toBe(403);
    expect(unknown.body).toEqual({ status: 'error', message: "Video doesn't exist", statusCode: 10204 });

    const { videoId } = await publish(videoPost({ accountId: 'acct_95', content: 'secret' }, { privacy_level: 'SELF_ONLY' }));
    const hidden = await api.get<TikapiError>(`/public/video?id=${videoId ?? ''}`);
    expect(hidden.status).toBe(403);
    expect(hidden.body.statusCode).toBe(10216);

    const missing = await api.get<TikapiError>('/public/video');
    expect(missing.status).toBe(400);
    expect(missing.body.fields).toHaveProperty('id');
  });
});
