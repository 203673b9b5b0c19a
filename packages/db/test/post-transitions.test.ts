import { randomUUID } from 'node:crypto';
import { asc, eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDb, type DbHandle } from '../src/client';
import { migrateDatabase } from '../src/migrate';
import { IllegalPostTransition, parkScheduledPosts, postView, transitionPost, type PostRow } from '../src/queries/posts';
import { accounts, postEvents, posts } from '../src/schema';
import { dropDatabase, urlFor } from './server-url';

const request = {
  accountId: '00000000-0000-4000-8000-000000000000',
  content: 'hello',
  mediaItems: [{ url: 'https://cdn.example.com/a.mp4' }],
  settings: { privacyLevel: 'SELF_ONLY', allowComment: true, allowDuet: true, allowStitch: true },
};

describe('post transitions', () => {
  const name = `pubcrawl_db_transitions_${randomUUID().replace(/-/g, '').slice(0, 12)}`;
  let handle: DbHandle;
  let accountId: string;

  beforeAll(async () => {
    await migrateDatabase(urlFor(name));
    handle = createDb(urlFor(name), { max: 4 });
    const [account] = await handle.db.insert(accounts).values({ label: 'a', provider: 'posting', externalId: 'acct_1' }).returning();
    if (account === undefined) throw new Error('no account');
    accountId = account.id;
  });
  afterAll(async () => {
    await handle.close();
    await dropDatabase(name);
  });

  async function newPost(): Promise<PostRow> {
    const [post] = await handle.db
      .insert(posts)
      .values({ accountId, request: { ...request, accountId }, mediaType: 'video', requestHash: randomUUID(), scheduledAt: new Date() })
      .returning();
    if (post === undefined) throw new Error('no post');
    return post;
  }

  it('moves the post and writes its event in one statement, returning a typed row', async () => {
    const post = await newPost();
    const submittedAt = new Date(Date.now() - 1_000);
    const moved = await transitionPost(handle.db, post.id, ['scheduled'], 'publishing', { code: 'submitting', data: { a: 1 }, attemptsDelta: 1, patch: { submittedAt } });
    expect(moved).toMatchObject({ id: post.id, status: 'publishing', attempts: 1 });
    expect(moved?.submittedAt).toBeInstanceOf(Date);
    expect(moved?.submittedAt?.getTime()).toBe(submittedAt.getTime());
    expect(moved?.createdAt).toBeInstanceOf(Date);
    expect(moved && postView(moved).status).toBe('publishing');
    const events = await handle.db.select().from(postEvents).where(eq(postEvents.postId, post.id)).orderBy(asc(postEvents.id));
    expect(events).toEqual([expect.objectContaining({ fromStatus: 'scheduled', toStatus: 'publishing', code: 'submitting', data: { a: 1 } })]);
  });

  it('writes nothing and returns null when the post is not in a from status', async () => {
    const post = await newPost();
    expect(await transitionPost(handle.db, post.id, ['publishing'], 'processing')).toBeNull();
    expect(await handle.db.select().from(postEvents).where(eq(postEvents.postId, post.id))).toEqual([]);
  });

  it('records which of several from statuses the post was in, and stamps finishedAt on final ones', async () => {
    const post = await newPost();
    const cancelled = await transitionPost(handle.db, post.id, ['scheduled', 'reauth_required'], 'cancelled', { code: 'cancelled' });
    expect(cancelled?.finishedAt).toBeInstanceOf(Date);
    const [event] = await handle.db.select().from(postEvents).where(eq(postEvents.postId, post.id));
    expect(event?.fromStatus).toBe('scheduled');
  });

  it('refuses a generation that is not the current one', async () => {
    const post = await newPost();
    expect(await transitionPost(handle.db, post.id, ['scheduled'], 'publishing', { generation: 1 })).toBeNull();
    expect(await transitionPost(handle.db, post.id, ['scheduled'], 'publishing', { generation: 0 })).not.toBeNull();
  });

  it('lets exactly one of many concurrent identical transitions win', async () => {
    const post = await newPost();
    const results = await Promise.all(Array.from({ length: 8 }, () => transitionPost(handle.db, post.id, ['scheduled'], 'publishing', { attemptsDelta: 1 })));
    expect(results.filter((row) => row !== null)).toHaveLength(1);
    const [row] = await handle.db.select().from(posts).where(eq(posts.id, post.id));
    expect(row?.attempts).toBe(1);
    expect(await handle.db.select().from(postEvents).where(eq(postEvents.postId, post.id))).toHaveLength(1);
  });

  it('throws on a transition the state machine does not allow', async () => {
    const post = await newPost();
    await expect(transitionPost(handle.db, post.id, ['published'], 'scheduled')).rejects.toBeInstanceOf(IllegalPostTransition);
  });

  it('parks every scheduled post of an account with one event each', async () => {
    const [a, b] = [await newPost(), await newPost()];
    await transitionPost(handle.db, b.id, ['scheduled'], 'publishing');
    const parked = await handle.db.transaction((tx) => parkScheduledPosts(tx, accountId, { code: 'account_reauth_required', message: 'parked' }));
    expect(parked).toContain(a.id);
    expect(parked).not.toContain(b.id);
    const events = await handle.db.select().from(postEvents).where(eq(postEvents.postId, a.id));
    expect(events).toEqual([expect.objectContaining({ fromStatus: 'scheduled', toStatus: 'reauth_required' })]);
  });
});
