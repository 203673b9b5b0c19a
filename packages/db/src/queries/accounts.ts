import type { AccountResponse } from '@pubcrawl/contracts';
import type { AccountStatus } from '@pubcrawl/domain';
import { and, desc, eq, getTableColumns, inArray, ne, notInArray, sql } from 'drizzle-orm';
import type { Database, Executor } from '../client';
import { accounts, postEvents, posts, schedules } from '../schema';
import { afterCursorDesc, decodeCursor, pageOf } from './pagination';

export type AccountRow = typeof accounts.$inferSelect;
export type NewAccountRow = Pick<typeof accounts.$inferInsert, 'label' | 'provider' | 'externalId' | 'credentialsEncrypted'>;

/** The API's (and the webhooks') view of an account. Credentials never leave: only whether there are any. */
export function accountView(account: AccountRow): AccountResponse {
  return {
    id: account.id,
    label: account.label,
    provider: account.provider,
    externalId: account.externalId,
    status: account.status,
    hasCredentials: account.credentialsEncrypted !== null,
    reauthReason: account.reauthReason,
    reauthRequiredAt: account.reauthRequiredAt?.toISOString() ?? null,
    paused: account.paused,
    username: account.username,
    displayName: account.displayName,
    profile: (account.profile as Record<string, unknown> | null) ?? null,
    syncedAt: account.syncedAt?.toISOString() ?? null,
    unlinkedAt: account.unlinkedAt?.toISOString() ?? null,
    createdAt: account.createdAt.toISOString(),
    updatedAt: account.updatedAt.toISOString(),
  };
}

export async function findAccount(executor: Executor, accountId: string): Promise<AccountRow | null> {
  const [row] = await executor.select().from(accounts).where(eq(accounts.id, accountId));
  return row ?? null;
}

/** Only the columns that say whether an account can run an authenticated crawl. */
export async function findAccountCredentials(executor: Executor, accountId: string): Promise<Pick<AccountRow, 'provider' | 'credentialsEncrypted' | 'status'> | null> {
  const [row] = await executor
    .select({ provider: accounts.provider, credentialsEncrypted: accounts.credentialsEncrypted, status: accounts.status })
    .from(accounts)
    .where(eq(accounts.id, accountId));
  return row ?? null;
}

/** Registers an account. A second (provider, externalId) is refused by the unique index: see isUniqueViolation. */
export async function insertAccount(executor: Executor, values: NewAccountRow): Promise<AccountRow> {
  const [row] = await executor.insert(accounts).values(values).returning();
  if (row === undefined) throw new Error('insert returned no row');
  return row;
}

/** GET /v1/accounts: newest first, keyset on (created_at, id). Null when the cursor is not one of ours. */
export async function listAccounts(
  executor: Executor,
  query: { limit: number; cursor?: string | undefined },
): Promise<{ items: AccountRow[]; nextCursor: string | null } | null> {
  const after = query.cursor === undefined ? null : decodeCursor(query.cursor);
  if (query.cursor !== undefined && after === null) return null;
  const rows = await executor
    .select()
    .from(accounts)
    .where(after === null ? undefined : afterCursorDesc(accounts.createdAt, accounts.id, after))
    .orderBy(desc(accounts.createdAt), desc(accounts.id))
    .limit(query.limit + 1);
  return pageOf(rows, query.limit);
}

/**
 * An operator re-authorized the account: it is active again and its expiry is forgotten. New
 * credentials replace the stored ones only when given (`null` clears them; `undefined` keeps them).
 * Null when no account has this id.
 */
export async function recordAccountReauthorized(
  executor: Executor,
  accountId: string,
  change: { credentialsEncrypted?: string | null | undefined } = {},
): Promise<AccountRow | null> {
  const [row] = await executor
    .update(accounts)
    .set({
      status: 'active',
      reauthReason: null,
      reauthRequiredAt: null,
      ...(change.credentialsEncrypted === undefined ? {} : { credentialsEncrypted: change.credentialsEncrypted }),
      updatedAt: new Date(),
    })
    // A deleted account stays deleted; an unlinked one comes back through a link or a sync.
    .where(and(eq(accounts.id, accountId), inArray(accounts.status, ['active', 'reauth_required'])))
    .returning();
  return row ?? null;
}

/**
 * `account.reauth_required` is raised once per expiry: the key names the instant the account was
 * parked, so the next expiry (after a reauthorize) raises a new one.
 */
export function accountReauthDedupeKey(account: Pick<AccountRow, 'id' | 'reauthRequiredAt'>): string {
  return `account.reauth_required:${account.id}:${account.reauthRequiredAt?.getTime() ?? 0}`;
}

/** What creator_info is cached as: the provider's answer, reduced to what a post is checked against. */
export interface CachedCreatorInfo {
  privacyLevelOptions?: string[] | undefined;
  commentDisabled?: boolean | undefined;
  duetDisabled?: boolean | undefined;
  stitchDisabled?: boolean | undefined;
  maxVideoPostDurationSec?: number | undefined;
  username?: string | undefined;
  nickname?: string | undefined;
  avatarUrl?: string | undefined;
}

/** The provider's creator_info fields, as the posting API names them. */
export interface ProviderCreatorInfo {
  privacy_level_options?: string[] | undefined;
  comment_disabled?: boolean | undefined;
  duet_disabled?: boolean | undefined;
  stitch_disabled?: boolean | undefined;
  max_video_post_duration_sec?: number | undefined;
  creator_username?: string | undefined;
  creator_nickname?: string | undefined;
  creator_avatar_url?: string | undefined;
}

export function toCachedCreatorInfo(info: ProviderCreatorInfo): CachedCreatorInfo {
  return {
    privacyLevelOptions: info.privacy_level_options,
    commentDisabled: info.comment_disabled,
    duetDisabled: info.duet_disabled,
    stitchDisabled: info.stitch_disabled,
    maxVideoPostDurationSec: info.max_video_post_duration_sec,
    username: info.creator_username,
    nickname: info.creator_nickname,
    avatarUrl: info.creator_avatar_url,
  };
}

export function cachedCreatorInfo(account: Pick<AccountRow, 'creatorInfo' | 'creatorInfoFetchedAt'>): { info: CachedCreatorInfo; fetchedAt: Date } | null {
  if (account.creatorInfo === null || account.creatorInfoFetchedAt === null) return null;
  return { info: account.creatorInfo as CachedCreatorInfo, fetchedAt: account.creatorInfoFetchedAt };
}

export async function storeCreatorInfo(executor: Executor, accountId: string, info: CachedCreatorInfo, fetchedAt: Date): Promise<void> {
  await executor.update(accounts).set({ creatorInfo: info, creatorInfoFetchedAt: fetchedAt }).where(eq(accounts.id, accountId));
}

/** What the provider says about one of its accounts (QR confirmation or its account list). */
export interface ProviderAccountFacts {
  externalId: string;
  username?: string | undefined;
  displayName?: string | undefined;
  /** avatar_url, bio, counts: whatever the list carried; absent keys keep what we had. */
  profile?: Record<string, unknown> | undefined;
  /** Only used when the account is new; an existing account keeps the operator's label. */
  label?: string | undefined;
}

/**
 * Creates or updates a posting account by the provider's accountId. Linking again revives an
 * account that was unlinked or deleted; an account waiting for re-authorization stays so (only
 * an explicit reauthorize resumes its parked posts).
 */
export async function upsertPostingAccount(
  executor: Executor,
  facts: ProviderAccountFacts,
  now: Date = new Date(),
  // A QR link is the creator saying yes again, so it revives a deleted account; a sync only
  // restores what the provider had stopped listing, never what an operator deleted.
  revive: readonly AccountStatus[] = ['unlinked', 'deleted'],
): Promise<{ account: AccountRow; created: boolean }> {
  const revivable = sql.join(
    revive.map((status) => sql`${status}::account_status`),
    sql`, `,
  );
  const label = facts.label ?? facts.displayName ?? facts.username ?? facts.externalId;
  const rows = await executor
    .insert(accounts)
    .values({
      label,
      provider: 'posting',
      externalId: facts.externalId,
      username: facts.username ?? null,
      displayName: facts.displayName ?? null,
      profile: facts.profile ?? null,
      syncedAt: now,
    })
    .onConflictDoUpdate({
      target: [accounts.provider, accounts.externalId],
      set: {
        username: sql`coalesce(excluded.username, ${accounts.username})`,
        displayName: sql`coalesce(excluded.display_name, ${accounts.displayName})`,
        profile: sql`coalesce(${accounts.profile}, '{}'::jsonb) || coalesce(excluded.profile, '{}'::jsonb)`,
        syncedAt: now,
        status: sql`case when ${accounts.status} in (${revivable}) then 'active'::account_status else ${accounts.status} end`,
        unlinkedAt: sql`case when ${accounts.status} in (${revivable}) then null else ${accounts.unlinkedAt} end`,
        updatedAt: now,
      },
    })
    // xmax = 0 only on a row this statement inserted: the one way to tell insert from update here.
    .returning({ ...getTableColumns(accounts), inserted: sql<boolean>`(xmax = 0)` });
  const [first] = rows;
  if (first === undefined) throw new Error('upsert returned no row');
  const { inserted, ...account } = first;
  return { account, created: inserted };
}

export interface SyncOutcome {
  created: AccountRow[];
  updated: AccountRow[];
  /** Posting accounts we had as active that the provider no longer lists. */
  unlinked: AccountRow[];
  /** Accounts that were unlinked or deleted and are listed again. */
  relinked: AccountRow[];
}

/** Imports the provider's account list in one transaction; running it twice changes nothing more. */
export async function syncPostingAccounts(db: Database, listed: readonly ProviderAccountFacts[]): Promise<SyncOutcome> {
  return db.transaction(async (tx) => {
    const now = new Date();
    const before = await tx.select().from(accounts).where(eq(accounts.provider, 'posting'));
    const previous = new Map(before.map((row) => [row.externalId, row]));
    const outcome: SyncOutcome = { created: [], updated: [], unlinked: [], relinked: [] };
    for (const facts of listed) {
      const { account, created } = await upsertPostingAccount(tx, facts, now, ['unlinked']);
      const was = previous.get(facts.externalId);
      if (created) outcome.created.push(account);
      else if (was?.status === 'unlinked') outcome.relinked.push(account);
      else outcome.updated.push(account);
    }
    const listedIds = listed.map((facts) => facts.externalId);
    const gone = await tx
      .update(accounts)
      .set({ status: 'unlinked', unlinkedAt: now, updatedAt: now })
      .where(
        and(
          eq(accounts.provider, 'posting'),
          inArray(accounts.status, ['active', 'reauth_required']),
          listedIds.length === 0 ? undefined : notInArray(accounts.externalId, listedIds),
        ),
      )
      .returning();
    outcome.unlinked.push(...gone);
    return outcome;
  });
}

/** PATCH /v1/accounts/:id. Null when there is no such account (or it was deleted). */
export async function updateAccountControls(executor: Executor, accountId: string, change: { label?: string | undefined; paused?: boolean | undefined }): Promise<AccountRow | null> {
  const [row] = await executor
    .update(accounts)
    .set({
      ...(change.label === undefined ? {} : { label: change.label }),
      ...(change.paused === undefined ? {} : { paused: change.paused }),
      updatedAt: new Date(),
    })
    .where(and(eq(accounts.id, accountId), ne(accounts.status, 'deleted')))
    .returning();
  return row ?? null;
}

export type DeleteAccountOutcome =
  | { ok: true; account: AccountRow; cancelledPosts: number; disabledSchedules: number }
  | { ok: false; reason: 'not_found' }
  | { ok: false; reason: 'busy'; postIds: string[] };

/**
 * Removes an account from service while keeping its history: its unstarted posts are cancelled
 * (with an event saying why), schedules that crawl with it are disabled, and the row stays, marked
 * `deleted`. Refused while a post is being sent or processed, since those still need the account.
 */
export async function deleteAccount(db: Database, accountId: string): Promise<DeleteAccountOutcome> {
  return db.transaction(async (tx) => {
    const [account] = await tx.select().from(accounts).where(eq(accounts.id, accountId)).for('update');
    if (account === undefined || account.status === 'deleted') return { ok: false, reason: 'not_found' };
    // FOR UPDATE waits for a claim in flight and then sees its committed status: checked without
    // the lock, a post claimed between this check and the cancel below would be left publishing.
    const live = await tx
      .select({ id: posts.id, status: posts.status })
      .from(posts)
      .where(and(eq(posts.accountId, accountId), inArray(posts.status, ['scheduled', 'reauth_required', 'publishing', 'processing'])))
      .for('update');
    const busy = live.filter(({ status }) => status === 'publishing' || status === 'processing').slice(0, 20);
    if (busy.length > 0) return { ok: false, reason: 'busy', postIds: busy.map(({ id }) => id) };
    const now = new Date();
    const cancelled = await tx
      .update(posts)
      .set({ status: 'cancelled', finishedAt: now, waiting: null, lastErrorCode: 'account_deleted', lastErrorMessage: 'the account was deleted', updatedAt: now })
      .where(and(eq(posts.accountId, accountId), inArray(posts.status, ['scheduled', 'reauth_required'])))
      .returning({ id: posts.id, status: posts.status });
    if (cancelled.length > 0) {
      await tx.insert(postEvents).values(
        cancelled.map(({ id }) => ({ postId: id, fromStatus: null, toStatus: 'cancelled' as const, code: 'account_deleted', message: 'the account was deleted; the post was cancelled' })),
      );
    }
    const disabled = await tx
      .update(schedules)
      .set({ enabled: false, updatedAt: now })
      .where(and(eq(schedules.enabled, true), sql`${schedules.crawlSpec}->>'accountId' = ${accountId}`))
      .returning({ id: schedules.id });
    const [deleted] = await tx.update(accounts).set({ status: 'deleted', paused: false, updatedAt: now }).where(eq(accounts.id, accountId)).returning();
    if (deleted === undefined) throw new Error('account vanished inside its own transaction');
    return { ok: true, account: deleted, cancelledPosts: cancelled.length, disabledSchedules: disabled.length };
  });
}
