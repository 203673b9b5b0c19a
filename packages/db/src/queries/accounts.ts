import type { AccountResponse } from '@pubcrawl/schemas';
import { eq } from 'drizzle-orm';
import type { Executor } from '../client';
import { accounts } from '../schema';

export type AccountRow = typeof accounts.$inferSelect;

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

/**
 * `account.reauth_required` is raised once per expiry: the key names the instant the account was
 * parked, so the next expiry (after a reauthorize) raises a new one.
 */
export function accountReauthDedupeKey(account: Pick<AccountRow, 'id' | 'reauthRequiredAt'>): string {
  return `account.reauth_required:${account.id}:${account.reauthRequiredAt?.getTime() ?? 0}`;
}
