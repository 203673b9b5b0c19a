import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getPost, publishesFor, startOperatorWorld, waitForPost, type OperatorWorld, type PostView } from './operator-world';
import { createAccount, videoBody } from './publishing-fixtures';

async function createPosts(world: OperatorWorld, accountId: string, count: number, tag: string): Promise<Array<{ id: string; warnings?: string[] }>> {
  const created: Array<{ id: string; warnings?: string[] }> = [];
  const at = new Date(Date.now() + 300).toISOString();
  for (let index = 0; index < count; index += 1) {
    const response = await world.api.app.inject({
      method: 'POST',
      url: '/v1/posts',
      headers: world.api.auth,
      payload: videoBody(accountId, { content: `${tag} ${index}`, scheduledAt: at }),
    });
    expect(response.statusCode, response.body).toBe(202);
    created.push(response.json());
  }
  return created;
}

async function settle(world: OperatorWorld, ids: string[], done: (post: PostView) => boolean): Promise<PostView[]> {
  return Promise.all(ids.map((id) => waitForPost(world.api, id, done, 20_000)));
}

const settled = (post: PostView) => post.status === 'published' || post.waiting !== null;

describe('the provider daily cap (spam_risk_too_many_posts) pauses that account alone', () => {
  let world: OperatorWorld;
  beforeAll(async () => {
    world = await startOperatorWorld({ sandbox: { dailyPostCap: 3 } });
  }, 30_000);
  afterAll(async () => {
    await world.close();
  }, 30_000);

  it('5 due posts on a capped account: 3 published, 2 waiting daily_cap with an until, no attempt spent; another account publishes meanwhile', async () => {
    const capped = await createAccount(world.api);
    const other = await createAccount(world.api);
    const cappedPosts = await createPosts(world, capped.id, 5, 'capped');
    const otherPosts = await createPosts(world, other.id, 3, 'other');

    const views = await settle(world, cappedPosts.map((post) => post.id), settled);
    const published = views.filter((post) => post.status === 'published');
    const waiting = views.filter((post) => post.status === 'scheduled');
    expect(published).toHaveLength(3);
    expect(waiting).toHaveLength(2);
    for (const post of waiting) {
      expect(post.waiting).toMatchObject({ reason: 'daily_cap', message: expect.stringContaining('spam_risk_too_many_posts') });
      // The window rolls about a day after the account's first post.
      const until = new Date(post.waiting?.until ?? 0).getTime();
      expect(until).toBeGreaterThan(Date.now() + 23 * 3_600_000);
      expect(until).toBeLessThan(Date.now() + 25 * 3_600_000);
      expect((await getPost(world.api, post.id)).events?.filter((event) => event.code === 'waiting')).toHaveLength(1);
    }
    const rows = await world.api.db.pool.query<{ attempts: number }>('select attempts from posts where id = any($1)', [waiting.map((post) => post.id)]);
    expect(rows.rows.map((row) => row.attempts)).toEqual([0, 0]);
    expect(publishesFor(world.sandbox, capped.externalId)).toBe(3);

    const otherViews = await settle(world, otherPosts.map((post) => post.id), (post) => post.status === 'published');
    expect(otherViews.every((post) => post.status === 'published')).toBe(true);
  });
});

describe('our own rolling cap (ACCOUNT_DAILY_POSTS) holds posts before the provider has to refuse them', () => {
  let world: OperatorWorld;
  beforeAll(async () => {
    world = await startOperatorWorld({ worker: { ACCOUNT_DAILY_POSTS: '3' }, api: { ACCOUNT_DAILY_POSTS: '3' } });
  }, 30_000);
  afterAll(async () => {
    await world.close();
  }, 30_000);

  it('the 4th and 5th wait with daily_cap until a day after the first one went; the create answers warned', async () => {
    const account = await createAccount(world.api);
    const other = await createAccount(world.api);
    const posts = await createPosts(world, account.id, 5, 'own cap');
    // The API foresaw it: the 4th and 5th of the day were answered with a warning.
    expect(posts.slice(0, 3).every((post) => (post.warnings ?? []).length === 0)).toBe(true);
    expect(posts.slice(3).every((post) => (post.warnings ?? []).some((warning) => /daily|24 h|ACCOUNT_DAILY_POSTS/i.test(warning)))).toBe(true);

    const otherPosts = await createPosts(world, other.id, 2, 'other');
    const views = await settle(world, posts.map((post) => post.id), settled);
    expect(views.filter((post) => post.status === 'published')).toHaveLength(3);
    const waiting = views.filter((post) => post.status === 'scheduled');
    expect(waiting).toHaveLength(2);
    const firstSent = await world.api.db.pool.query<{ first: Date }>('select min(submitted_at) as first from posts where account_id = $1', [account.id]);
    const opensAt = (firstSent.rows[0]?.first.getTime() ?? 0) + 24 * 3_600_000;
    for (const post of waiting) {
      expect(post.waiting?.reason).toBe('daily_cap');
      expect(new Date(post.waiting?.until ?? 0).getTime()).toBe(opensAt);
    }
    // The provider never saw the held ones.
    expect(publishesFor(world.sandbox, account.externalId)).toBe(3);
    await settle(world, otherPosts.map((post) => post.id), (post) => post.status === 'published');
  });
});

describe('per-minute limits: a burst on one account waits with account_quota', () => {
  let world: OperatorWorld;
  beforeAll(async () => {
    world = await startOperatorWorld({ worker: { ACCOUNT_PUBLISH_PER_MINUTE: '6' } });
  }, 30_000);
  afterAll(async () => {
    await world.close();
  }, 30_000);

  it('8 posts at one instant at 6 a minute: 6 go, the last 2 show account_quota with an until in the future, and their create answers warned', async () => {
    const account = await createAccount(world.api);
    const posts = await createPosts(world, account.id, 8, 'burst');
    expect(posts.slice(0, 6).every((post) => (post.warnings ?? []).length === 0)).toBe(true);
    expect(posts.slice(6).every((post) => (post.warnings ?? []).length > 0)).toBe(true);

    const views = await settle(world, posts.map((post) => post.id), settled);
    expect(views.filter((post) => post.status === 'published')).toHaveLength(6);
    const waiting = views.filter((post) => post.status === 'scheduled');
    expect(waiting).toHaveLength(2);
    for (const post of waiting) {
      expect(post.waiting).toMatchObject({ reason: 'account_quota', message: expect.stringContaining('6 posts a minute') });
      expect(new Date(post.waiting?.until ?? 0).getTime()).toBeGreaterThan(Date.now());
    }
    // Shown in lists too.
    const list = await world.api.app.inject({ method: 'GET', url: `/v1/posts?accountId=${account.id}&status=scheduled`, headers: world.api.auth });
    expect(list.json<{ items: PostView[] }>().items.map((post) => post.waiting?.reason)).toEqual(['account_quota', 'account_quota']);
  });
});
