import { and, eq, getTableColumns, gt, isNull, sql } from 'drizzle-orm';
import type { Provider } from '@pubcrawl/domain';
import type { Database, Executor } from '../client';
import type { CredentialsCipher } from '../credentials';
import { accounts, inboundWebhookEvents, oauthStates, posts, providerPauses } from '../schema';
import type { AccountRow } from './accounts';
import { recordPostNote, type PostRow } from './posts';

export type OauthStateRow = typeof oauthStates.$inferSelect;

export async function insertOauthState(
  executor: Executor,
  values: Pick<typeof oauthStates.$inferInsert, 'provider' | 'stateHash' | 'codeVerifierEncrypted' | 'label' | 'redirectUri' | 'expiresAt'>,
): Promise<OauthStateRow> {
  const [row] = await executor.insert(oauthStates).values(values).returning();
  if (row === undefined) throw new Error('insert returned no row');
  return row;
}

export type OauthStateClaim = { kind: 'claimed'; state: OauthStateRow } | { kind: 'unknown' } | { kind: 'used'; state: OauthStateRow } | { kind: 'expired'; state: OauthStateRow };

/**
 * Spends a state: one statement, so two callbacks racing with the same state cannot both win. A
 * state that is not claimable says why (never seen, already used, or too old).
 */
export async function claimOauthState(executor: Executor, provider: Provider, stateHash: string, now: Date = new Date()): Promise<OauthStateClaim> {
  const [claimed] = await executor
    .update(oauthStates)
    .set({ usedAt: now })
    .where(and(eq(oauthStates.provider, provider), eq(oauthStates.stateHash, stateHash), isNull(oauthStates.usedAt), gt(oauthStates.expiresAt, now)))
    .returning();
  if (claimed !== undefined) return { kind: 'claimed', state: claimed };
  const [existing] = await executor
    .select()
    .from(oauthStates)
    .where(and(eq(oauthStates.provider, provider), eq(oauthStates.stateHash, stateHash)))
    .limit(1);
  if (existing === undefined) return { kind: 'unknown' };
  return existing.usedAt === null ? { kind: 'expired', state: existing } : { kind: 'used', state: existing };
}

export async function recordOauthOutcome(executor: Executor, stateId: string, outcome: 'connected' | 'denied' | 'failed', accountId: string | null = null): Promise<void> {
  await executor.update(oauthStates).set({ outcome, accountId }).where(eq(oauthStates.id, stateId));
}

export interface TikTokAccountFacts {
  openId: string;
  label: string | null;
  username: string | null;
  displayName: string | null;
  profile: Record<string, unknown> | null;
  credentialsEncrypted: string;
  accessExpiresAt: Date;
}

/**
 * Creates or updates the tiktok account of an `open_id` after a completed connect. A connect is the
 * creator saying yes again, so it revives every status (parked, unlinked, deleted) and replaces
 * the token pair. `resumed` tells the caller that parked work must go back to the queues.
 */
export async function upsertTikTokAccount(executor: Executor, facts: TikTokAccountFacts, now: Date = new Date()): Promise<{ account: AccountRow; created: boolean; previousStatus: AccountRow['status'] | null }> {
  const [previous] = await executor
    .select({ status: accounts.status })
    .from(accounts)
    .where(and(eq(accounts.provider, 'tiktok'), eq(accounts.externalId, facts.openId)))
    .for('update');
  const rows = await executor
    .insert(accounts)
    .values({
      label: facts.label ?? facts.displayName ?? facts.username ?? facts.openId,
      provider: 'tiktok',
      externalId: facts.openId,
      credentialsEncrypted: facts.credentialsEncrypted,
      accessExpiresAt: facts.accessExpiresAt,
      username: facts.username,
      displayName: facts.displayName,
      profile: facts.profile,
      syncedAt: now,
    })
    .onConflictDoUpdate({
      target: [accounts.provider, accounts.externalId],
      set: {
        ...(facts.label === null ? {} : { label: facts.label }),
        credentialsEncrypted: facts.credentialsEncrypted,
        accessExpiresAt: facts.accessExpiresAt,
        username: sql`coalesce(excluded.username, ${accounts.username})`,
        displayName: sql`coalesce(excluded.display_name, ${accounts.displayName})`,
        profile: sql`coalesce(${accounts.profile}, '{}'::jsonb) || coalesce(excluded.profile, '{}'::jsonb)`,
        status: 'active',
        reauthReason: null,
        reauthRequiredAt: null,
        unlinkedAt: null,
        syncedAt: now,
        updatedAt: now,
      },
    })
    .returning({ ...getTableColumns(accounts), inserted: sql<boolean>`(xmax = 0)` });
  const [first] = rows;
  if (first === undefined) throw new Error('upsert returned no row');
  const { inserted, ...account } = first;
  return { account, created: inserted, previousStatus: previous?.status ?? null };
}

/**
 * Locks one account's row for a token refresh. Every worker that wants to refresh takes this lock
 * first, so across the fleet one refresh runs per account, and the others read the pair it stored.
 */
export async function lockAccountTokens(tx: Executor, accountId: string): Promise<Pick<AccountRow, 'id' | 'status' | 'credentialsEncrypted' | 'accessExpiresAt'> | null> {
  const [row] = await tx
    .select({ id: accounts.id, status: accounts.status, credentialsEncrypted: accounts.credentialsEncrypted, accessExpiresAt: accounts.accessExpiresAt })
    .from(accounts)
    .where(eq(accounts.id, accountId))
    .for('update');
  return row ?? null;
}

export async function storeAccountTokens(tx: Executor, accountId: string, credentialsEncrypted: string, accessExpiresAt: Date): Promise<void> {
  await tx.update(accounts).set({ credentialsEncrypted, accessExpiresAt, updatedAt: new Date() }).where(eq(accounts.id, accountId));
}

/** TikTok holds too many of this account's inbox uploads unopened: its drafts wait until `until`. */
export async function holdAccountInboxUntil(executor: Executor, accountId: string, until: Date): Promise<void> {
  await executor
    .update(accounts)
    .set({ pendingShareUntil: sql`greatest(coalesce(${accounts.pendingShareUntil}, ${until}), ${until})`, updatedAt: new Date() })
    .where(eq(accounts.id, accountId));
}

export type ProviderPauseRow = typeof providerPauses.$inferSelect;

/**
 * Pauses a provider for every account. Returns the row only when the pause is new or longer than
 * the one in force, so the `provider.paused` event and metric fire once per pause.
 */
export async function pauseProvider(executor: Executor, provider: Provider, until: Date, code: string, message: string): Promise<ProviderPauseRow | null> {
  const [row] = await executor
    .insert(providerPauses)
    .values({ provider, until, code, message })
    .onConflictDoUpdate({ target: providerPauses.provider, set: { until, code, message, updatedAt: new Date() }, setWhere: sql`${providerPauses.until} < ${until}` })
    .returning();
  return row ?? null;
}

export async function activeProviderPause(executor: Executor, provider: Provider, now: Date = new Date()): Promise<ProviderPauseRow | null> {
  const [row] = await executor
    .select()
    .from(providerPauses)
    .where(and(eq(providerPauses.provider, provider), gt(providerPauses.until, now)))
    .limit(1);
  return row ?? null;
}

/** Records a received webhook; false when the same delivery was recorded before (apply it once). */
export async function recordInboundWebhook(
  executor: Executor,
  values: { provider: string; dedupeKey: string; event: string; subject: string | null; payload: unknown },
): Promise<{ id: string } | null> {
  const [row] = await executor
    .insert(inboundWebhookEvents)
    .values({ ...values, payload: values.payload ?? {} })
    .onConflictDoNothing({ target: inboundWebhookEvents.dedupeKey })
    .returning({ id: inboundWebhookEvents.id });
  return row ?? null;
}

export async function setInboundWebhookOutcome(executor: Executor, id: string, outcome: string): Promise<void> {
  await executor.update(inboundWebhookEvents).set({ outcome }).where(eq(inboundWebhookEvents.id, id));
}

/** The account a provider's user id names, of one provider. */
export async function findAccountByExternalId(executor: Executor, provider: Provider, externalId: string): Promise<AccountRow | null> {
  const [row] = await executor
    .select()
    .from(accounts)
    .where(and(eq(accounts.provider, provider), eq(accounts.externalId, externalId)))
    .limit(1);
  return row ?? null;
}

/** The post a provider's publish id belongs to, on one account. */
export async function findPostByPublishId(executor: Executor, accountId: string, publishId: string): Promise<PostRow | null> {
  const [row] = await executor
    .select()
    .from(posts)
    .where(and(eq(posts.accountId, accountId), eq(posts.publishId, publishId)))
    .limit(1);
  return row ?? null;
}

/**
 * The Postgres side of `TikTokTokenKeeper` (@pubcrawl/tiktok): the pair decrypted on the way out,
 * encrypted on the way in, and every refresh done holding the account's row lock. Structural, so
 * this package needs no import of the client.
 */
export interface TokenStoreSide {
  read(accountId: string): Promise<{ plain: unknown; active: boolean } | null>;
  withLock<T>(accountId: string, work: (current: { plain: unknown; active: boolean } | null) => Promise<{ store: { accessExpiresAt: number } | null; value: T }>): Promise<T>;
}

export function accountTokenStore(db: Database, cipher: Pick<CredentialsCipher, 'encrypt' | 'decrypt'>): TokenStoreSide {
  const open = (row: { status: AccountRow['status']; credentialsEncrypted: string | null }) => ({
    plain: row.credentialsEncrypted === null ? null : safeDecrypt(cipher, row.credentialsEncrypted),
    active: row.status === 'active',
  });
  return {
    async read(accountId) {
      const [row] = await db.select({ status: accounts.status, credentialsEncrypted: accounts.credentialsEncrypted }).from(accounts).where(eq(accounts.id, accountId)).limit(1);
      return row === undefined ? null : open(row);
    },
    withLock(accountId, work) {
      return db.transaction(async (tx) => {
        const row = await lockAccountTokens(tx, accountId);
        const outcome = await work(row === null ? null : open(row));
        if (outcome.store !== null) await storeAccountTokens(tx, accountId, cipher.encrypt(outcome.store), new Date(outcome.store.accessExpiresAt));
        return outcome.value;
      });
    },
  };
}

function safeDecrypt(cipher: Pick<CredentialsCipher, 'decrypt'>, stored: string): unknown {
  try {
    return cipher.decrypt(stored);
  } catch {
    // Unreadable under this key: the keeper reports it as needing a new connect.
    return null;
  }
}

/**
 * A published post learns its public URL late (TikTok names a public post only after moderation).
 * Written once, with a timeline note; false when the post already had one.
 */
export async function recordPublicPostId(db: Database, postId: string, publicUrl: string, data: Record<string, unknown>): Promise<boolean> {
  return db.transaction(async (tx) => {
    const [row] = await tx
      .update(posts)
      .set({ publicUrl, updatedAt: new Date() })
      .where(and(eq(posts.id, postId), eq(posts.status, 'published'), isNull(posts.publicUrl)))
      .returning();
    if (row === undefined) return false;
    await recordPostNote(tx, row, { code: 'public_url', message: `TikTok made the post public at ${publicUrl}`, data: { ...data, publicUrl } });
    return true;
  });
}
