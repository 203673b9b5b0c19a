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

/**
 * Records a received webhook. `fresh` is false for a delivery recorded before; `applied` says
 * whether applying it ever finished (its outcome is written last), so a delivery whose first
 * application failed midway is applied again when TikTok retries it.
 */
export async function recordInboundWebhook(
  executor: Executor,
  values: { provider: string; dedupeKey: string; event: string; subject: string | null; payload: unknown },
): Promise<{ id: string; fresh: boolean; applied: boolean }> {
  const [inserted] = await executor
    .insert(inboundWebhookEvents)
    .values({ ...values, payload: values.payload ?? {} })
    .onConflictDoNothing({ target: inboundWebhookEvents.dedupeKey })
    .returning({ id: inboundWebhookEvents.id });
  if (inserted !== undefined) return { id: inserted.id, fresh: true, applied: false };
  const [existing] = await executor
    .select({ id: inboundWebhookEvents.id, outcome: inboundWebhookEvents.outcome })
    .from(inboundWebhookEvents)
    .where(eq(inboundWebhookEvents.dedupeKey, values.dedupeKey))
    .limit(1);
  if (existing === undefined) throw new Error('a webhook row vanished between insert and read');
  return { id: existing.id, fresh: false, applied: existing.outcome !== null };
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
 * How long a refresher waits for another's refresh of the same account before giving up (a
 * transient error its job retries): the other refresh is bounded by its own timeout.
 */
const REFRESH_LOCK_WAIT_MS = 20_000;

/**
 * The rotated pair as this package needs to see it; `TikTokStoredTokens` (@pubcrawl/tiktok) is the
 * full shape. Structural on purpose: the client package's tests depend on this one, so this one
 * cannot import it back.
 */
interface RotatedTokens {
  accessExpiresAt: number;
}

/** `TikTokTokenStore` (@pubcrawl/tiktok), which `accountTokenStore` satisfies structurally. */
export interface AccountTokenStore {
  read(accountId: string): Promise<{ plain: unknown; active: boolean } | null>;
  withLock<T, R extends RotatedTokens>(accountId: string, work: (current: { plain: unknown; active: boolean } | null) => Promise<{ store: R | null; value: T }>): Promise<T>;
}

/**
 * The Postgres side of `TikTokTokenKeeper`: the pair decrypted on the way out, encrypted on the way
 * in. A refresh holds a transaction-scoped advisory lock named by the account, not the row lock, so
 * other writes to the account (a park, a hold) never queue behind TikTok's answer.
 */
export function accountTokenStore(db: Database, cipher: Pick<CredentialsCipher, 'encrypt' | 'decrypt'>): AccountTokenStore {
  const open = (row: { status: AccountRow['status']; credentialsEncrypted: string | null }) => ({
    plain: row.credentialsEncrypted === null ? null : safeDecrypt(cipher, row.credentialsEncrypted),
    active: row.status === 'active',
  });
  const read = async (executor: Executor, accountId: string) => {
    const [row] = await executor.select({ status: accounts.status, credentialsEncrypted: accounts.credentialsEncrypted }).from(accounts).where(eq(accounts.id, accountId)).limit(1);
    return row === undefined ? null : open(row);
  };
  return {
    read: (accountId) => read(db, accountId),
    async withLock(accountId, work) {
      const pending: { rotated: RotatedTokens | null } = { rotated: null };
      try {
        return await db.transaction(async (tx) => {
          await tx.execute(sql`select set_config('lock_timeout', ${`${REFRESH_LOCK_WAIT_MS}ms`}, true)`);
          await tx.execute(sql`select pg_advisory_xact_lock(hashtextextended(${`tiktok-refresh:${accountId}`}, 0))`);
          const outcome = await work(await read(tx, accountId));
          pending.rotated = outcome.store;
          if (outcome.store !== null) await storeAccountTokens(tx, accountId, cipher.encrypt(outcome.store), new Date(outcome.store.accessExpiresAt));
          return outcome.value;
        });
      } catch (caught) {
        // TikTok rotated the pair but the commit was lost: the old refresh token is dead now, so
        // the new pair must be written or the account needs a new connect.
        if (pending.rotated !== null) await storeRotatedTokens(db, cipher, accountId, pending.rotated);
        throw caught;
      }
    },
  };
}

async function storeRotatedTokens(db: Database, cipher: Pick<CredentialsCipher, 'encrypt'>, accountId: string, tokens: RotatedTokens): Promise<void> {
  for (const delay of [0, 250, 1_000]) {
    if (delay > 0) await new Promise((resolve) => setTimeout(resolve, delay));
    try {
      await storeAccountTokens(db, accountId, cipher.encrypt(tokens), new Date(tokens.accessExpiresAt));
      return;
    } catch {
      // Tried again below; the caller's error is what the job sees either way.
    }
  }
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
