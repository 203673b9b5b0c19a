import type { AccountResponse } from '@pubcrawl/contracts';
import { desc, eq } from 'drizzle-orm';
import type { Executor } from '../client';
import { accounts } from '../schema';
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
    createdAt: account.createdAt.toISOString(),
    updatedAt: account.updatedAt.toISOString(),
  };
}

export async function findAccount(executor: Executor, accountId: string): Promise<AccountRow | null> {
  const [row] = await executor.select().from(accounts).where(eq(accounts.id, accountId));
  return row ?? null;
}

/** Only the columns that say whether an account can run an authenticated crawl. */
export async function findAccountCredentials(executor: Executor, accountId: string): Promise<Pick<AccountRow, 'provider' | 'credentialsEncrypted'> | null> {
  const [row] = await executor
    .select({ provider: accounts.provider, credentialsEncrypted: accounts.credentialsEncrypted })
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
    .where(eq(accounts.id, accountId))
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
