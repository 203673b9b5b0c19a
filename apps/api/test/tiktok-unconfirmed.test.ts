import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitForPost, type OperatorWorld, type PostView } from './operator-world';
import { connectedAccount, createTikTokPost, startTikTokWorld, tiktokOpenId, tiktokVideoBody, type AccountRowView } from './tiktok-world';

let world: OperatorWorld;
let account: AccountRowView;

beforeAll(async () => {
  // An audited app posting publicly, and TikTok's documented video list (public posts only): the
  // check must find the post the way it would on TikTok.
  world = await startTikTokWorld({
    sandbox: { tiktokAudited: true },
    api: { TIKTOK_APP_AUDITED: 'true' },
    worker: { UNCONFIRMED_VERIFY_INTERVAL_MS: '300', UNCONFIRMED_VERIFY_WINDOW_MS: '3000' },
  });
  await world.admin('PUT', '/tiktok/video-list', { include_private: false });
  account = await connectedAccount(world, 'creator_40');
});
afterAll(async () => {
  await world.close();
});

const timeline = async (id: string) => (await world.api.app.inject({ method: 'GET', url: `/v1/posts/${id}`, headers: world.api.auth })).json<PostView>().events ?? [];

describe('an unconfirmed tiktok post, checked against the account’s own videos', () => {
  it('TikTok published it but the answer was lost: found in video.list, published with the URL and the evidence, never re-sent', async () => {
    await world.admin('POST', '/tiktok/lose-answers', { endpoint: 'video_init', count: 1 });
    const id = await createTikTokPost(world.api, tiktokVideoBody(account.id, { content: 'lost answer, real post', settings: { privacyLevel: 'PUBLIC_TO_EVERYONE' } }));
    await waitForPost(world.api, id, (post) => post.status === 'unconfirmed', 20_000);
    const post = await waitForPost(world.api, id, (view) => view.status === 'published', 15_000);
    expect(post).toMatchObject({ status: 'published' });
    const view = (await world.api.app.inject({ method: 'GET', url: `/v1/posts/${id}`, headers: world.api.auth })).json<{ publicUrl: string | null }>();
    expect(view.publicUrl).toMatch(/^https:\/\/www\.tiktok\.com\/@.+\/video\/\d+$/);
    const evidence = (await timeline(id)).find((event) => event.to === 'published');
    expect(evidence?.code).toBe('verified_in_feed');
    expect(world.sandbox.stats().publishes.filter((entry) => entry.accountId === tiktokOpenId('creator_40')).map((entry) => entry.count)).toEqual([1]);
  });

  it('a post TikTok never completed stays unconfirmed after the window, with what was checked', async () => {
    await world.admin('POST', '/tiktok/lose-answers', { endpoint: 'video_init', count: 1 });
    // The sandbox fails a video whose URL says "fail": it never appears among the account's videos.
    const id = await createTikTokPost(world.api, tiktokVideoBody(account.id, { content: 'lost answer, failed video', url: 'https://cdn.example.com/fail.mp4', settings: { privacyLevel: 'PUBLIC_TO_EVERYONE' } }));
    await waitForPost(world.api, id, (post) => post.status === 'unconfirmed', 20_000);
    await expect.poll(async () => (await timeline(id)).some((event) => event.code === 'not_in_feed'), { timeout: 15_000, interval: 200 }).toBe(true);
    const note = (await timeline(id)).find((event) => event.code === 'not_in_feed');
    expect(note?.message).toMatch(/^not among the \d+ newest videos TikTok's video\.list gave for the account at .*; looked \d+ times? until .*, so it stays unconfirmed$/);
    expect((await waitForPost(world.api, id, () => true)).status).toBe('unconfirmed');
  });
});
