import type { AccountLinkStatus } from '@pubcrawl/domain';
import { and, eq, inArray, lt, sql } from 'drizzle-orm';
import type { Database, Executor } from '../client';
import { accountLinks } from '../schema';
import { upsertPostingAccount, type AccountRow, type ProviderAccountFacts } from './accounts';

export type AccountLinkRow = typeof accountLinks.$inferSelect;

/** Statuses after which the provider will say nothing new about a link. */
export const FINAL_LINK_STATUSES = ['confirmed', 'expired', 'utilised'] as const satisfies readonly AccountLinkStatus[];

export function isFinalLinkStatus(status: AccountLinkStatus): boolean {
  return (FINAL_LINK_STATUSES as readonly AccountLinkStatus[]).includes(status);
}

export async function insertAccountLink(
  executor: Executor,
  values: Pick<typeof accountLinks.$inferInsert, 'provider' | 'label' | 'tokenEncrypted' | 'uniqueId' | 'expiresAt'>,
): Promise<AccountLinkRow> {
  const [row] = await executor.insert(accountLinks).values(values).returning();
  if (row === undefined) throw new Error('insert returned no row');
  return row;
}

export async function findAccountLink(executor: Executor, linkId: string): Promise<AccountLinkRow | null> {
  const [row] = await executor.select().from(accountLinks).where(eq(accountLinks.id, linkId));
  return row ?? null;
}

/** A non-final status the provider reported (`new`, `scanned`), or a final one without an account. */
export async function recordLinkStatus(executor: Executor, linkId: string, status: AccountLinkStatus, message: string | null): Promise<AccountLinkRow | null> {
  const [row] = await executor
    .update(accountLinks)
    .set({ status, message, checkedAt: new Date(), updatedAt: new Date() })
    .where(and(eq(accountLinks.id, linkId), inArray(accountLinks.status, ['new', 'scanned'])))
    .returning();
  return row ?? null;
}

/**
 * The provider confirmed the link: the account is created or updated (unique by the provider's
 * accountId) and the link points at it, in one transaction, so a link never says `confirmed`
 * without its account. Null when the link had already reached a final status (a second poller).
 */
export async function confirmAccountLink(db: Database, linkId: string, facts: ProviderAccountFacts): Promise<{ link: AccountLinkRow; account: AccountRow } | null> {
  return db.transaction(async (tx) => {
    const [link] = await tx.select().from(accountLinks).where(eq(accountLinks.id, linkId)).for('update');
    if (link === undefined || isFinalLinkStatus(link.status)) return null;
    const { account } = await upsertPostingAccount(tx, { ...facts, label: facts.label ?? link.label ?? undefined });
    const [confirmed] = await tx
      .update(accountLinks)
      .set({ status: 'confirmed', accountId: account.id, message: null, checkedAt: new Date(), updatedAt: new Date() })
      .where(eq(accountLinks.id, linkId))
      .returning();
    if (confirmed === undefined) throw new Error('link vanished inside its own transaction');
    return { link: confirmed, account };
  });
}

/** Links still waiting on the provider, for the reconciler to re-enqueue their poll jobs. */
export async function pendingAccountLinks(executor: Executor, now: Date = new Date()): Promise<AccountLinkRow[]> {
  return executor
    .select()
    .from(accountLinks)
    .where(and(inArray(accountLinks.status, ['new', 'scanned']), sql`${accountLinks.expiresAt} > ${now}`))
    .limit(1_000);
}

/** Links whose QR code ran out before anyone confirmed it; the provider would answer `expired`. */
export async function expireStaleAccountLinks(executor: Executor, now: Date = new Date()): Promise<number> {
  const rows = await executor
    .update(accountLinks)
    .set({ status: 'expired', message: 'the QR code expired before it was confirmed', updatedAt: now })
    .where(and(inArray(accountLinks.status, ['new', 'scanned']), lt(accountLinks.expiresAt, now)))
    .returning({ id: accountLinks.id });
  return rows.length;
}
