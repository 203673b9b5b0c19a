import TikAPI from 'tikapi';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startSandbox, type RunningSandbox } from '../src/index';
import { client, secUidOf, sleep, videoPost, type Api } from './helpers';
import type { PostResponse } from './wire';

/**
 * The official SDK, unmodified, against the sandbox. It has no documented base-URL option; it is
 * built on `rests`, whose root `set({ $options: { base } })` replaces the origin every endpoint is
 * joined to (`https://api.tikapi.io` by default), so that is how it is pointed here. `nextItems()` is
 * the SDK's own paging: it re-sends the first request's parameters plus the response's `cursor` /
 * `nextCursor`, after checking each against the SDK's parameter schema (followers' `nextCursor`
 * must be a number, `cursor` a digit string), and stops once it returns null.
 */

// Whatever the SDK resolves with; only `json` and `nextItems` are used, read through this shape.
interface SdkResponse {
  json: Record<string, unknown>;
  nextItems: () => Promise<SdkResponse> | null;
}

let sandbox: RunningSandbox;
let api: Api;
let sdk: ReturnType<typeof TikAPI>;

beforeAll(async () => {
  sandbox = await startSandbox({ port: 0, config: { quotaPerSecond: 0, publishDurationMs: 30 } });
  api = client(sandbox);
  // The SDK checks its key against ^[a-zA-Z0-9]{10,}$ before sending anything.
  sdk = TikAPI('SandboxContractKey1');
  sdk.set({ $options: { base: sandbox.url } });
});
afterAll(() => sandbox.close());
beforeEach(() => sandbox.reset());

/** Follows `nextItems()` until the SDK says there is nothing more, keeping every response body. */
async function pageWithSdk(first: Promise<unknown>, maxPages = 1_000): Promise<Array<Record<string, unknown>>> {
  const bodies: Array<Record<string, unknown>> = [];
  let response: SdkResponse | null = (await first) as SdkResponse;
  while (response !== null) {
    bodies.push(response.json);
    if (bodies.length > maxPages) throw new Error(`nextItems() did not stop after ${maxPages} pages`);
    const next: Promise<SdkResponse> | null = response.nextItems();
    response = next === null ? null : await next;
  }
  return bodies;
}

function ids(bodies: Array<Record<string, unknown>>, list: 'userList' | 'itemList'): string[] {
  return bodies.flatMap((body) => {
    const items = (body[list] ?? []) as Array<{ id?: string; user?: { id: string } }>;
    return items.map((item) => item.user?.id ?? item.id ?? '');
  });
}

describe('the official tikapi SDK (3.2.2) against the sandbox', () => {
  it('pages the followers of user_95 to the end with nextItems(), every follower exactly once', async () => {
    const secUid = await secUidOf(api, 'user_95');
    const bodies = await pageWithSdk(sdk.public.followersList({ secUid }));
    const followers = ids(bodies, 'userList');
    expect(bodies.map((body) => body['nextCursor'])).toEqual([30, 60, 90, 0]);
    expect(followers).toHaveLength(95);
    expect(new Set(followers).size).toBe(95);
  });

  it('pages the followers on a later sandbox day too, when the list has churned', async () => {
    sandbox.configure({ day: 3 });
    const secUid = await secUidOf(api, 'user_1000');
    const followers = ids(await pageWithSdk(sdk.public.followersList({ secUid })), 'userList');
    // 1000 on day 0, 60 joiners (20 a day), 30 leavers (10 a day).
    expect(followers).toHaveLength(1_030);
    expect(new Set(followers).size).toBe(1_030);
  });

  it('pages a hashtag to the end with nextItems(), every video exactly once', async () => {
    const bodies = await pageWithSdk(sdk.public.hashtag({ name: 'tag_70' }));
    const videos = ids(bodies, 'itemList');
    expect(bodies).toHaveLength(3);
    expect(videos).toHaveLength(70);
    expect(new Set(videos).size).toBe(70);
  });

  it("pages a user's posts to the end with nextItems(), every post exactly once, own publishes first", async () => {
    const posted = await api.post<PostResponse>('/api/content/post', videoPost({ accountId: 'acct_95', content: 'SDK contract #sandbox' }));
    expect(posted.status).toBe(200);
    await sleep(60);
    const secUid = await secUidOf(api, 'user_95');
    const check = await api.get<{ userInfo: { stats: { videoCount: number } } }>('/public/check?username=user_95');
    const bodies = await pageWithSdk(sdk.public.posts({ secUid }));
    const posts = ids(bodies, 'itemList');
    expect(posts.length).toBeGreaterThan(30);
    expect(posts).toHaveLength(check.body.userInfo.stats.videoCount);
    expect(new Set(posts).size).toBe(posts.length);
    const first = (bodies[0]?.['itemList'] as Array<{ desc: string }> | undefined)?.[0];
    expect(first?.desc).toBe('SDK contract #sandbox');
  });
});
