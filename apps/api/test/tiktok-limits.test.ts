import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getPost, waitForPost, type OperatorWorld, type PostView } from './operator-world';
import { connectedAccount, createTikTokPost, sandboxCalls, startTikTokWorld, tiktokOpenId, tiktokVideoBody, type AccountRowView } from './tiktok-world';

let world: OperatorWorld;
// Each test has its own creator and token, so limits and holds of one do not reach the next.
let users = 0;

beforeAll(async () => {
  world = await startTikTokWorld({ worker: { ACCOUNT_WAIT_RECHECK_MS: '300' } });
});
afterAll(async () => {
  await world.close();
});

const freshAccount = async (): Promise<{ account: AccountRowView; openId: string }> => {
  users += 1;
  const user = `limits_${users}`;
  return { account: await connectedAccount(world, user), openId: tiktokOpenId(user) };
};
const settled = (id: string) => waitForPost(world.api, id, (post) => ['published', 'failed', 'unconfirmed', 'reauth_required'].includes(post.status), 20_000);
const waitingFor = (id: string, reason: string) => waitForPost(world.api, id, (post) => post.waiting?.reason === reason, 15_000);
const inject = (endpoint: string, code: string, count = 1) => world.admin('POST', '/tiktok/errors', { endpoint, code, count });
const initCalls = () => sandboxCalls(world.sandbox, 'POST /v2/post/publish/video/init/');

describe('TikTok per-token limits', () => {
  it('10 posts on one token: 6 inits within the minute, the other 4 wait with the reason, and TikTok never answers 429', async () => {
    const { account } = await freshAccount();
    const before = initCalls();
    const ids: string[] = [];
    for (let index = 0; index < 10; index++) ids.push(await createTikTokPost(world.api, tiktokVideoBody(account.id, { content: `burst ${index}` })));
    await waitFor6Published(ids);
    // Give the held four every chance to go early: they must not.
    await sleep(1_500);
    const views = await Promise.all(ids.map((id) => getPost(world.api, id)));
    expect(views.filter((post) => post.status === 'published')).toHaveLength(6);
    const held = views.filter((post) => post.status === 'scheduled');
    expect(held).toHaveLength(4);
    for (const post of held) {
      expect(post.waiting?.reason).toBe('account_quota');
      expect(post.waiting?.message).toContain('6 post inits a minute per access token');
      const until = new Date(post.waiting?.until ?? 0).getTime();
      expect(until).toBeGreaterThan(Date.now());
      expect(until).toBeLessThanOrEqual(Date.now() + 61_000);
    }
    const after = initCalls();
    expect((after.byStatus['200'] ?? 0) - (before.byStatus['200'] ?? 0)).toBe(6);
    expect(after.byStatus['429'] ?? 0).toBe(before.byStatus['429'] ?? 0);
  });
});

async function waitFor6Published(ids: string[]): Promise<void> {
  const deadline = Date.now() + 20_000;
  for (;;) {
    const views = await Promise.all(ids.map((id) => getPost(world.api, id)));
    if (views.filter((post) => post.status === 'published').length >= 6) return;
    if (Date.now() > deadline) throw new Error(`only ${views.filter((post) => post.status === 'published').length} published`);
    await sleep(100);
  }
}

describe('TikTok refusals take their paths, and spend no attempt where TikTok refused', () => {
  it('rate_limit_exceeded: back to scheduled, waiting rate_limited, attempt given back', async () => {
    const { account } = await freshAccount();
    await inject('video_init', 'rate_limit_exceeded');
    const id = await createTikTokPost(world.api, tiktokVideoBody(account.id));
    const post = await waitingFor(id, 'rate_limited');
    expect(post.status).toBe('scheduled');
    expect(post.attempts).toBe(0);
  });

  it('spam_risk_too_many_posts: that account waits for its day (daily_cap), attempt given back', async () => {
    const { account } = await freshAccount();
    await inject('video_init', 'spam_risk_too_many_posts');
    const id = await createTikTokPost(world.api, tiktokVideoBody(account.id));
    const post = await waitingFor(id, 'daily_cap');
    expect(post.attempts).toBe(0);
    expect(new Date(post.waiting?.until ?? 0).getTime()).toBeGreaterThan(Date.now() + 23 * 3_600_000);
  });

  it('spam_risk_too_many_pending_share: that account’s drafts wait (pending_share), its direct posts go on', async () => {
    const { account } = await freshAccount();
    await inject('inbox_init', 'spam_risk_too_many_pending_share');
    const draft = await createTikTokPost(world.api, tiktokVideoBody(account.id, { content: 'a draft', settings: { draft: true } }));
    const held = await waitingFor(draft, 'pending_share');
    expect(held.attempts).toBe(0);
    const direct = await createTikTokPost(world.api, tiktokVideoBody(account.id, { content: 'a direct post' }));
    expect((await settled(direct)).status).toBe('published');
    const secondDraft = await createTikTokPost(world.api, tiktokVideoBody(account.id, { content: 'another draft', settings: { draft: true } }));
    expect((await waitingFor(secondDraft, 'pending_share')).status).toBe('scheduled');
  });

  it.each([
    ['spam_risk_user_banned_from_posting'],
    ['unaudited_client_can_only_post_to_private_accounts'],
    ['privacy_level_option_mismatch'],
    ['url_ownership_unverified'],
  ])('%s: failed with the code and TikTok’s log_id, attempt given back', async (code) => {
    const { account } = await freshAccount();
    await inject('video_init', code);
    const id = await createTikTokPost(world.api, tiktokVideoBody(account.id));
    const post = await settled(id);
    expect(post.status).toBe('failed');
    expect(post.error?.code).toBe(code);
    expect(post.error?.message).toMatch(/\[log_id [^\]]+\]/);
    expect(post.attempts).toBe(0);
    const failedEvent = (await timeline(id)).find((event) => event.to === 'failed');
    expect(failedEvent?.data?.logId).toEqual(expect.any(String));
  });

  it('url_ownership_unverified for real: a URL outside the verified prefixes fails without a publish', async () => {
    const { account, openId } = await freshAccount();
    const id = await createTikTokPost(world.api, tiktokVideoBody(account.id, { url: 'https://elsewhere.example.org/clip.mp4' }));
    const post = await settled(id);
    expect(post.error?.code).toBe('url_ownership_unverified');
    expect(world.sandbox.stats().publishes.filter((entry) => entry.accountId === openId)).toHaveLength(0);
  });

  it('access_token_invalid once: one refresh, one more try, published', async () => {
    const { account } = await freshAccount();
    await inject('video_init', 'access_token_invalid');
    const id = await createTikTokPost(world.api, tiktokVideoBody(account.id));
    const post = await settled(id);
    expect(post.status).toBe('published');
    expect(post.attempts).toBe(1);
  });

  it('access_token_invalid twice: parked, with the account', async () => {
    const { account } = await freshAccount();
    await inject('video_init', 'access_token_invalid', 2);
    const id = await createTikTokPost(world.api, tiktokVideoBody(account.id));
    const post = await settled(id);
    expect(post.status).toBe('reauth_required');
    expect(post.attempts).toBe(0);
  });

  it('scope_not_authorized: parked (the creator must grant it again), attempt given back', async () => {
    const { account } = await freshAccount();
    await inject('video_init', 'scope_not_authorized');
    const id = await createTikTokPost(world.api, tiktokVideoBody(account.id));
    const post = await settled(id);
    expect(post.status).toBe('reauth_required');
    expect(post.attempts).toBe(0);
  });

  it('internal_error: transient, retried with backoff, then published once', async () => {
    const { account, openId } = await freshAccount();
    await inject('video_init', 'internal_error');
    const id = await createTikTokPost(world.api, tiktokVideoBody(account.id));
    const post = await settled(id);
    expect(post.status).toBe('published');
    expect(world.sandbox.stats().publishes.filter((entry) => entry.accountId === openId).map((entry) => entry.count)).toEqual([1]);
  });
});

// Last: the pause holds every tiktok account of this world until midnight, in Postgres and in the
// fleet's limiter alike.
describe('the app-wide cap', () => {
  it('reached_active_user_cap: every tiktok account waits until 00:00 UTC (provider_paused), counted once in /metrics; posts already sent still get their outcome', async () => {
    const first = await freshAccount();
    const second = await freshAccount();
    // A post TikTok accepted before the pause, still processing when it begins.
    await world.admin('PUT', '/config', { publishDurationMs: 2_500 });
    const accepted = await createTikTokPost(world.api, tiktokVideoBody(second.account.id, { content: 'accepted before the pause' }));
    await waitForPost(world.api, accepted, (view) => view.status === 'processing', 10_000);

    await inject('video_init', 'reached_active_user_cap');
    const id = await createTikTokPost(world.api, tiktokVideoBody(first.account.id));
    const post = await waitingFor(id, 'provider_paused');
    expect(post.attempts).toBe(0);
    const midnight = new Date();
    midnight.setUTCHours(24, 0, 0, 0);
    expect(Math.abs(new Date(post.waiting?.until ?? 0).getTime() - midnight.getTime())).toBeLessThan(2_000);
    const other = await createTikTokPost(world.api, tiktokVideoBody(second.account.id));
    expect((await waitingFor(other, 'provider_paused')).status).toBe('scheduled');
    await expect.poll(async () => (await world.api.app.inject({ method: 'GET', url: '/metrics' })).body, { timeout: 5_000 }).toMatch(/^pubcrawl_provider_events_total\{provider="tiktok",event="paused"\} 1$/m);
    // Only inits draw from the app's bucket: the accepted post's status polls go on.
    expect((await settled(accepted)).status).toBe('published');
    await world.admin('PUT', '/config', { publishDurationMs: 200 });
  });
});

async function timeline(id: string): Promise<NonNullable<PostView['events']>> {
  const response = await world.api.app.inject({ method: 'GET', url: `/v1/posts/${id}`, headers: world.api.auth });
  return response.json<PostView>().events ?? [];
}
