import { eq, inArray } from 'drizzle-orm';
import type { Database, Executor } from '../client';
import { accounts, postBatches } from '../schema';
import type { AccountRow } from './accounts';
import { insertGuardedPosts, type GuardedInsertResult, type GuardedPostRow } from './posts';

export type PostBatchRow = typeof postBatches.$inferSelect;

/** The stored answer of the batch an Idempotency-Key created, if any. */
export async function findPostBatch(executor: Executor, idempotencyKey: string): Promise<PostBatchRow | null> {
  const [row] = await executor.select().from(postBatches).where(eq(postBatches.idempotencyKey, idempotencyKey));
  return row ?? null;
}

/** The accounts a batch names, in one query (a batch may name hundreds). */
export async function findAccountsByIds(executor: Executor, accountIds: readonly string[]): Promise<Map<string, AccountRow>> {
  if (accountIds.length === 0) return new Map();
  const rows = await executor
    .select()
    .from(accounts)
    .where(inArray(accounts.id, [...new Set(accountIds)]));
  return new Map(rows.map((row) => [row.id, row]));
}

export interface PostBatchInsert {
  rows: readonly GuardedPostRow[];
  duplicateSince: Date | null;
  /** When given, the answer is stored under the key in the same transaction. */
  idempotency: { key: string; requestHash: string } | null;
  /** Builds the answer from what was inserted; it is stored exactly as returned. */
  respond: (result: GuardedInsertResult) => unknown;
}

/**
 * A batch's valid posts, their `created` events and (with an Idempotency-Key) its answer, in ONE
 * transaction: either the whole batch exists and a replay finds its answer, or none of it does.
 * A second batch racing on the same key fails on the key's primary key (see isUniqueViolation,
 * `post_batches_pkey`) and rolls back everything it inserted.
 */
export async function insertPostBatch(db: Database, batch: PostBatchInsert): Promise<{ result: GuardedInsertResult; response: unknown }> {
  return db.transaction(async (tx) => {
    const result = await insertGuardedPosts(tx, batch.rows, batch.duplicateSince);
    const response = batch.respond(result);
    // A batch that created nothing does not use up its key: sent again (fixed, or once an account
    // exists), it is checked again instead of replaying refusals.
    if (batch.idempotency !== null && result.created.size > 0) {
      await tx.insert(postBatches).values({ idempotencyKey: batch.idempotency.key, requestHash: batch.idempotency.requestHash, response });
    }
    return { result, response };
  });
}
