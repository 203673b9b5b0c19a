import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { testSandbox } from '@pubcrawl/testing';
import { followerChanges, profileStatsOnDay, type RunningSandbox } from '@pubcrawl/sandbox';
import {
  FollowersResponse,
  NOT_FOUND_ON_TIKTOK,
  NotFoundOnTikTok,
  Permanent,
  TikApiClient,
  toError,
  type UserPostsPage,
} from '../src/index';

let sandbox: RunningSandbox;
let client: TikApiClient;

beforeAll(async () => {
  sandbox = await testSandbox({ quotaPerSecond: 0 });
  client = new TikApiClient({ baseUrl: sandbox.url, apiKey: 'insights-key' });
});
afterAll(async () => {
  await client.close();
  await sandbox.close();
});
beforeEach(() => sandbox.reset());

async function rejection(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise;
  } catch (caught) {
    return toError(caught);
  }
  throw new Error('expected the call to fail');
}

async function collect<P>(pages: AsyncIterable<P>): Promise<P[]> {
  const out: P[] = [];
  for await (const page of pages) out.push(page);
  return out;
}

describe('TikApiClient.checkProfile', () => {
  it('returns the user, the secUid, the privacy flag and all four counts', async () => {
    const profile = await client.checkProfile('user_95');
    expect(profile.user.uniqueId).toBe('user_95');
    expect(profile.secUid).toBe(profile.user.secUid);
    expect(profile.privateAccount).toBe(false);
    expect(profile.stats).toEqual(profileStatsOnDay('user_95', 0));
    expect((await client.checkProfile('private_40')).privateAccount).toBe(true);
  });

  it('reports the counts of the current sandbox day', async () => {
    sandbox.configure({ day: 2 });
    expect((await client.checkProfile('user_1000')).stats).toEqual(profileStatsOnDay('user_1000', 2));
  });

  it('turns a user TikTok does not have into NotFoundOnTikTok, still a Permanent', async () => {
    const error = await rejection(client.checkProfile('nobody_at_all'));
    expect(error).toBeInstanceOf(NotFoundOnTikTok);
    expect(error).toBeInstanceOf(Permanent);
    expect(error).toMatchObject({ code: NOT_FOUND_ON_TIKTOK, tiktokCode: '10202', entity: 'user', httpStatus: 403, endpoint: 'GET /public/check' });
  });

  it('leaves other TikTok refusals as they were classified', async () => {
    const error = await rejection(client.checkProfile('err_10221'));
    expect(error).toBeInstanceOf(Permanent);
    expect(error).not.toBeInstanceOf(NotFoundOnTikTok);
    expect(error).toMatchObject({ code: '10221' });
  });
});

describe('TikApiClient.userPostsPage and iterateUserPosts', () => {
  it('pages every post of user_95 exactly once, newest first, as many as videoCount', async () => {
    const profile = await client.checkProfile('user_95');
    const pages: UserPostsPage[] = await collect(client.iterateUserPosts({ secUid: profile.secUid }));
    const items = pages.flatMap((page) => page.items);
    expect(items).toHaveLength(profile.stats.videoCount);
    expect(new Set(items.map((item) => item.id)).size).toBe(items.length);
    expect(items.map((item) => item.createTime)).toEqual(items.map((item) => item.createTime).sort((a, b) => b - a));
    expect(pages.at(-1)?.hasMore).toBe(false);
    expect(items[0]?.stats).toEqual({ playCount: expect.any(Number), diggCount: expect.any(Number), commentCount: expect.any(Number), shareCount: expect.any(Number) });
  });

  it('resumes from a saved cursor with exactly the older posts', async () => {
    const { secUid } = await client.checkProfile('user_95');
    const all = (await collect(client.iterateUserPosts({ secUid }))).flatMap((page) => page.items.map((item) => item.id));
    const first = await client.userPostsPage({ secUid, count: 7 });
    expect(first.cursor).toMatch(/^\d+$/);
    const rest = (await collect(client.iterateUserPosts({ secUid, startCursor: first.cursor ?? '' }))).flatMap((page) => page.items.map((item) => item.id));
    expect(rest).toEqual(all.slice(7));
  });
});

describe('TikApiClient.getVideo', () => {
  it('describes a video from the feed with the same id, caption and stats', async () => {
    const { secUid } = await client.checkProfile('user_95');
    const post = (await client.userPostsPage({ secUid })).items[2];
    const { video } = await client.getVideo(post?.id ?? '');
    expect(video).toMatchObject({ id: post?.id, desc: post?.desc, createTime: post?.createTime, stats: post?.stats });
  });

  it('turns an unknown id into NotFoundOnTikTok for a video', async () => {
    const error = await rejection(client.getVideo('7000000000000000001'));
    expect(error).toBeInstanceOf(NotFoundOnTikTok);
    expect(error).toMatchObject({ code: NOT_FOUND_ON_TIKTOK, tiktokCode: '10204', entity: 'video' });
  });
});

describe('followers cursors', () => {
  it('reads numeric, string and legacy cursors, and takes 0 or "" as the end', () => {
    const parse = (nextCursor: unknown) => FollowersResponse.parse({ status: 'success', userList: [], nextCursor, hasMore: true }).nextCursor;
    expect(parse(30)).toBe('30');
    expect(parse('30')).toBe('30');
    expect(parse('c2J4LWZjMTozMA')).toBe('c2J4LWZjMTozMA');
    expect(parse(0)).toBeNull();
    expect(parse('')).toBeNull();
    expect(parse(undefined)).toBeNull();
  });

  it('pages the churned list of a later day, which matches the sandbox churn exactly', async () => {
    const { secUid } = await client.checkProfile('user_500');
    const day0 = (await collect(client.iterateFollowers({ secUid }))).flatMap((page) => page.items.map((item) => item.user.id));
    sandbox.configure({ day: 1 });
    const pages = await collect(client.iterateFollowers({ secUid }));
    // The cursor names a follower slot, not an offset: slot 9 left on day 1, so 30 followers end at slot 30.
    expect(pages[0]?.nextCursor).toBe('31');
    expect(pages.at(-1)?.nextCursor).toBeNull();
    const day1 = pages.flatMap((page) => page.items.map((item) => item.user.id));
    const changes = followerChanges('user_500', 0, 1);
    expect(day1.filter((id) => !day0.includes(id))).toEqual(changes.gained.map((entry) => entry.user.id));
    expect(day0.filter((id) => !day1.includes(id))).toEqual(changes.lost.map((entry) => entry.user.id));
  });

  it('resumes from a cursor checkpointed in the old base64 form', async () => {
    const { secUid } = await client.checkProfile('user_95');
    const all = (await collect(client.iterateFollowers({ secUid }))).flatMap((page) => page.items.map((item) => item.user.id));
    // What a crawl checkpointed before the switch holds: base64url of "sbx-fc1:30".
    const legacy = Buffer.from('sbx-fc1:30', 'latin1').toString('base64url');
    const rest = (await collect(client.iterateFollowers({ secUid, startCursor: legacy }))).flatMap((page) => page.items.map((item) => item.user.id));
    expect(rest).toEqual(all.slice(30));
  });
});
