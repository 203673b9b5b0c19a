import { eq, sql } from 'drizzle-orm';
import type { Database, Executor } from '../client';
import { webhookAttempts, webhookDeliveries } from '../schema';

export type WebhookDeliveryRow = typeof webhookDeliveries.$inferSelect;

export async function findWebhookDelivery(executor: Executor, deliveryId: string): Promise<WebhookDeliveryRow | null> {
  const [row] = await executor.select().from(webhookDeliveries).where(eq(webhookDeliveries.id, deliveryId));
  return row ?? null;
}

export interface WebhookAttemptResult {
  attempt: number;
  statusCode: number | null;
  error: string | null;
  durationMs: number;
  /** No more attempts follow: an undelivered event becomes `failed` instead of staying `pending`. */
  lastAttempt: boolean;
}

/** One delivery attempt and the delivery's new state, committed together. */
export async function recordWebhookAttempt(db: Database, deliveryId: string, result: WebhookAttemptResult): Promise<void> {
  const delivered = result.error === null;
  await db.transaction(async (tx) => {
    await tx.insert(webhookAttempts).values({ deliveryId, attempt: result.attempt, statusCode: result.statusCode, error: result.error, durationMs: result.durationMs });
    await tx
      .update(webhookDeliveries)
      .set({
        attempts: sql`${webhookDeliveries.attempts} + 1`,
        lastStatusCode: result.statusCode,
        lastError: result.error,
        status: delivered ? 'delivered' : result.lastAttempt ? 'failed' : 'pending',
        deliveredAt: delivered ? new Date() : null,
      })
      .where(eq(webhookDeliveries.id, deliveryId));
  });
}
