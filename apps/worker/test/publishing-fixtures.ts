import { accounts, insertPosts, posts, type AccountRow, type PostRow } from '@pubcrawl/db';
import { enqueuePublish } from '@pubcrawl/queue';
import { publishContentHash } from '@pubcrawl/sandbox';
import { type PostStatus } from '@pubcrawl/domain';
import { createPostBodySchema, resolveMediaType, type CreatePostBody } from '@pubcrawl/contracts';
import { waitFor } from '@pubcrawl/testing';
import { inArray } from 'drizzle-orm';
import type { WorkerContext } from '../src/context';

/** Seeding and inspection helpers for the publishing tests: the rows the API would have written. */

/** Quotas high enough that a test measures our pipeline, not the rate limits. */
export const UNLIMITED_ENV: Record<string, string> = {
  TIKAPI_REQUESTS_PER_SECOND: '100000',
  POSTING_REQUESTS_PER_SECOND: '100000',
  ACCOUNT_PUBLISH_PER_MINUTE: '100000',
  ACCOUNT_DAILY_POSTS: '100000',
  ACCOUNT_STATUS_PER_MINUTE: '100000',
  PUBLISH_CONCURRENCY: '20',
  PUBLISH_STATUS_CONCURRENCY: '20',
};

export async function seedAccounts(context: WorkerContext, count: number, tag = 'acct'): Promise<AccountRow[]> {
  return context.db.db
    .insert(accounts)
    .values(Array.from({ length: count }, (_, index) => ({ label: `${tag} ${index}`, provider: 'posting' as const, externalId: `${tag}_${index}` })))
    .returning();
}

export interface SeedOptions {
  perAccount: number;
  scheduledAt: Date;
  /** Media URL for a post; a URL containing `hang` or `fail` triggers the sandbox's faults. */
  mediaUrl?: (accountIndex: number, postIndex: number) => string;
  enqueue?: boolean;
}

/** Inserts posts as the API does (validated request, created event) and enqueues them. */
export async function seedPosts(context: WorkerContext, owners: readonly AccountRow[], options: SeedOptions): Promise<PostRow[]> {
  const values = owners.flatMap((account, accountIndex) =>
    Array.from({ length: options.perAccount }, (_, postIndex) => {
      const request: CreatePostBody = createPostBodySchema.parse({
        accountId: account.id,
        content: `post ${accountIndex}-${postIndex} ${Math.random().toString(36).slice(2)}`,
        mediaItems: [{ url: options.mediaUrl?.(accountIndex, postIndex) ?? `https://cdn.example.com/${accountIndex}/${postIndex}.mp4` }],
        scheduledAt: options.scheduledAt.toISOString(),
        settings: { privacyLevel: 'PUBLIC_TO_EVERYONE', allowComment: true, allowDuet: false, allowStitch: false },
      });
      return {
        accountId: account.id,
        request,
        mediaType: resolveMediaType(request) ?? 'video',
        requestHash: `seed-${accountIndex}-${postIndex}-${Math.random()}`,
        scheduledAt: options.scheduledAt,
      };
    }),
  );
  const rows: PostRow[] = [];
  for (let start = 0; start < values.length; start += 500) {
    const chunk = values.slice(start, start + 500);
    rows.push(...(await insertPosts(context.db.db, chunk)));
  }
  if (options.enqueue !== false) {
    for (let start = 0; start < rows.length; start += 100) {
      await Promise.all(rows.slice(start, start + 100).map((post) => enqueuePublish(context.queues, post)));
    }
  }
  return rows;
}

/** The sandbox's duplicate-detection hash of a post, as the worker sends it. */
export function contentHash(post: PostRow, account: AccountRow): string {
  const request = createPostBodySchema.parse(post.request);
  return publishContentHash({ accountId: account.externalId, content: request.content, photoTitle: request.photoTitle, mediaUrls: request.mediaItems.map((item) => item.url) });
}

/** How many times the sandbox saw each post published. */
export function publishesPerPost(
  stats: { publishes: ReadonlyArray<{ accountId: string; contentHash: string; count: number }> },
  seeded: readonly PostRow[],
  owners: readonly AccountRow[],
): Map<string, number> {
  const byHash = new Map(stats.publishes.map((entry) => [`${entry.accountId}\u0000${entry.contentHash}`, entry.count]));
  const ownerOf = new Map(owners.map((account) => [account.id, account]));
  const result = new Map<string, number>();
  for (const post of seeded) {
    const account = ownerOf.get(post.accountId);
    if (account === undefined) throw new Error(`post ${post.id} has no seeded account`);
    result.set(post.id, byHash.get(`${account.externalId}\u0000${contentHash(post, account)}`) ?? 0);
  }
  return result;
}

export async function postsById(context: WorkerContext, ids: readonly string[]): Promise<PostRow[]> {
  const rows: PostRow[] = [];
  for (let start = 0; start < ids.length; start += 1000) {
    rows.push(...(await context.db.db.select().from(posts).where(inArray(posts.id, ids.slice(start, start + 1000)))));
  }
  return rows;
}

export async function statusCounts(context: WorkerContext): Promise<Partial<Record<PostStatus, number>>> {
  const result = await context.db.pool.query<{ status: PostStatus; n: string }>('select status, count(*)::text as n from posts group by status');
  return Object.fromEntries(result.rows.map((row) => [row.status, Number(row.n)]));
}

const FINAL: readonly PostStatus[] = ['published', 'failed', 'unconfirmed', 'cancelled'];

/** Waits until every post is in one of `statuses` (default: any final one). */
export async function waitForPosts(context: WorkerContext, options: { timeoutMs: number; statuses?: readonly PostStatus[] }): Promise<Partial<Record<PostStatus, number>>> {
  const wanted = options.statuses ?? FINAL;
  return waitFor(
    async () => {
      const counts = await statusCounts(context);
      const pending = Object.entries(counts).filter(([status]) => !wanted.includes(status as PostStatus));
      return pending.every(([, n]) => n === 0) ? counts : undefined;
    },
    { timeoutMs: options.timeoutMs, intervalMs: 200, describe: () => statusCounts(context) },
  );
}
