import { randomUUID } from 'node:crypto';
import { asc, eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDb, type DbHandle } from '../src/client';
import { migrateDatabase } from '../src/migrate';
import { findAccountCredentials, insertAccount, listAccounts, recordAccountReauthorized } from '../src/queries/accounts';
import { insertCrawl } from '../src/queries/crawls';
import { pingDatabase } from '../src/queries/health';
import { countCrawlItemsIngested, countCrawlsByStatus, countPostsByStatus } from '../src/queries/metrics';
import {
  cancelUnstartedPost,
  findPostByIdempotencyKey,
  insertPost,
  listPosts,
  recordOperatorRetry,
  recordOperatorVerdict,
  transitionPost,
  unparkPosts,
  type NewPostRow,
  type PostRow,
} from '../src/queries/posts';
import { crawls, postEvents, webhookDeliveries } from '../src/schema';
import { dropDatabase, urlFor } from './server-url';

const request = {
  content: 'hello',
  mediaItems: [{ url: 'https://cdn.example.com/a.mp4' }],
  settings: { privacyLevel: 'SELF_ONLY', allowComment: true, allowDuet: true, allowStitch: true },
};

describe('the queries behind the api', () => {
  const name = `pubcrawl_db_api_${randomUUID().replace(/-/g, '').slice(0, 12)}`;
  let handle: DbHandle;
  let accountId: string;

  beforeAll(async () => {
    await migrateDatabase(urlFor(name));
    handle = createDb(urlFor(name), { max: 4 });
    accountId = (await insertAccount(handle.db, { label: 'a', provider: 'posting', externalId: 'acct_1', credentialsEncrypted: null })).id;
  });
  afterAll(async () => {
    await handle.close();
    await dropDatabase(name);
  });

  async function newPost(values: Partial<NewPostRow> = {}): Promise<PostRow> {
    return insertPost(handle.db, { accountId, request: { ...request, accountId }, mediaType: 'video', requestHash: randomUUID(), scheduledAt: new Date(), ...values });
  }

  async function eventsOf(postId: string) {
    return handle.db.select().from(postEvents).where(eq(postEvents.postId, postId)).orderBy(asc(postEvents.id));
  }

  it('answers the readiness ping through the pool', async () => {
    await expect(pingDatabase(handle.pool)).resolves.toBeUndefined();
  });

  it('lists accounts newest first across pages, and refuses a cursor it did not write', async () => {
    const label = randomUUID();
    const ids: string[] = [];
    for (let index = 0; index < 3; index += 1) {
      ids.push((await insertAccount(handle.db, { label, provider: 'tikapi', externalId: `${label}-${index}`, credentialsEncrypted: index === 0 ? 'v1:x' : null })).id);
      // created_at has millisecond precision: keep the order unambiguous.
      await new Promise((resolve) => setTimeout(resolve, 2));
    }
    const first = await listAccounts(handle.db, { limit: 2 });
    expect(first?.items.map((row) => row.id)).toEqual([ids[2], ids[1]]);
    const second = await listAccounts(handle.db, { limit: 2, cursor: first?.nextCursor ?? undefined });
    expect(second?.items[0]?.id).toBe(ids[0]);
    expect(await listAccounts(handle.db, { limit: 2, cursor: 'not-a-cursor' })).toBeNull();
    expect(await findAccountCredentials(handle.db, ids[0] ?? '')).toEqual({ provider: 'tikapi', credentialsEncrypted: 'v1:x', status: 'active' });
    expect(await findAccountCredentials(handle.db, randomUUID())).toBeNull();
  });

  it('reactivates a parked account, keeping its credentials unless new ones are given', async () => {
    const account = await insertAccount(handle.db, { label: 'r', provider: 'posting', externalId: randomUUID(), credentialsEncrypted: 'v1:old' });
    await handle.pool.query(`update accounts set status = 'reauth_required', reauth_reason = 'expired', reauth_required_at = now() where id = $1`, [account.id]);
    const kept = await recordAccountReauthorized(handle.db, account.id);
    expect(kept).toMatchObject({ status: 'active', reauthReason: null, reauthRequiredAt: null, credentialsEncrypted: 'v1:old' });
    expect(await recordAccountReauthorized(handle.db, account.id, { credentialsEncrypted: null })).toMatchObject({ credentialsEncrypted: null });
    expect(await recordAccountReauthorized(handle.db, randomUUID())).toBeNull();
  });

  it('finds a post by its idempotency key and filters the post list by account and status', async () => {
    const key = randomUUID();
    const post = await newPost({ idempotencyKey: key });
    expect((await findPostByIdempotencyKey(handle.db, key))?.id).toBe(post.id);
    expect(await findPostByIdempotencyKey(handle.db, randomUUID())).toBeNull();
    const page = await listPosts(handle.db, { accountId, status: 'scheduled', limit: 500 });
    expect(page?.items.every((row) => row.accountId === accountId && row.status === 'scheduled')).toBe(true);
    expect(page?.items.map((row) => row.id)).toContain(post.id);
    expect(await listPosts(handle.db, { limit: 1, cursor: 'nope' })).toBeNull();
  });

  it('cancels a scheduled post once, with its event', async () => {
    const post = await newPost();
    expect(await cancelUnstartedPost(handle.db, post.id)).toMatchObject({ status: 'cancelled' });
    expect(await cancelUnstartedPost(handle.db, post.id)).toBeNull();
    expect((await eventsOf(post.id)).map((event) => event.code)).toEqual(['created', 'cancelled']);
  });

  it('retries a failed post as a new generation, but never a tracked publish', async () => {
    const post = await newPost();
    await transitionPost(handle.db, post.id, ['scheduled'], 'publishing');
    await transitionPost(handle.db, post.id, ['publishing'], 'failed', { patch: { lastErrorCode: 'boom', lastErrorMessage: 'boom' } });
    const retried = await recordOperatorRetry(handle.db, post.id);
    expect(retried).toMatchObject({ status: 'scheduled', generation: 1, attempts: 0, lastErrorCode: null });
    expect(await recordOperatorRetry(handle.db, post.id)).toBeNull();

    const tracked = await newPost({ request: { tracked: { publishId: randomUUID() } }, mediaType: 'unknown', status: 'processing' });
    await transitionPost(handle.db, tracked.id, ['processing'], 'failed');
    expect(await recordOperatorRetry(handle.db, tracked.id)).toBeNull();
  });

  it("records an operator's verdict with its webhook in one transaction, and only on an unconfirmed post", async () => {
    const post = await newPost();
    await transitionPost(handle.db, post.id, ['scheduled'], 'publishing');
    await transitionPost(handle.db, post.id, ['publishing'], 'unconfirmed');
    const { row, delivery } = await recordOperatorVerdict(handle.db, post.id, { outcome: 'not_published' }, 'https://hooks.example.com/x');
    expect(row).toMatchObject({ status: 'failed', lastErrorCode: 'not_published' });
    expect(delivery).not.toBeNull();
    const [event] = await handle.db.select().from(webhookDeliveries).where(eq(webhookDeliveries.id, delivery ?? ''));
    expect(event?.dedupeKey).toBe(`post.failed:${post.id}:0`);
    expect(await recordOperatorVerdict(handle.db, post.id, { outcome: 'not_published' }, undefined)).toEqual({ row: null, delivery: null });
  });

  it('unparks the posts of an account: unsent ones to scheduled, accepted ones to processing', async () => {
    const parked = await insertAccount(handle.db, { label: 'p', provider: 'posting', externalId: randomUUID(), credentialsEncrypted: null });
    const unsent = await newPost({ accountId: parked.id, request: { ...request, accountId: parked.id }, status: 'reauth_required' });
    const accepted = await newPost({ accountId: parked.id, request: { ...request, accountId: parked.id }, status: 'reauth_required', publishId: randomUUID() });
    const resumed = await unparkPosts(handle.db, parked.id);
    expect(new Map(resumed.map((row) => [row.id, [row.status, row.generation]]))).toEqual(
      new Map([
        [unsent.id, ['scheduled', 1]],
        [accepted.id, ['processing', 1]],
      ]),
    );
    expect(await unparkPosts(handle.db, parked.id)).toEqual([]);
  });

  it('counts posts and crawls by status and sums the crawled items', async () => {
    const before = await countCrawlItemsIngested(handle.db);
    const crawl = await handle.db.transaction((tx) => insertCrawl(tx, { kind: 'hashtag', target: { name: 'cats' } }));
    await handle.db.update(crawls).set({ items: 7 }).where(eq(crawls.id, crawl?.id ?? ''));
    expect(await countCrawlItemsIngested(handle.db)).toBe(before + 7);
    expect(await countCrawlsByStatus(handle.db)).toContainEqual({ status: 'queued', count: expect.any(Number) as number });
    const posts = await countPostsByStatus(handle.db);
    expect(posts.every((row) => typeof row.count === 'number' && row.count > 0)).toBe(true);
  });
});
