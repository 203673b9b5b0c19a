import type { WebhookEventKey } from '@pubcrawl/domain';
import type { Executor } from '../client';
import { webhookDeliveries } from '../schema';

/**
 * Records an event for delivery, in the caller's transaction, so the event exists if and only if
 * the state change that caused it committed. `dedupeKey` makes a retried job's second emission a
 * no-op. Returns the delivery id to enqueue after commit, or null when it was a duplicate.
 */
export async function recordWebhookEvent(
  tx: Executor,
  event: { key: WebhookEventKey; data: unknown; dedupeKey: string; url: string; date?: Date },
): Promise<string | null> {
  // The reseller API's webhook model: {key, data, date}. The body is stored once, so every retry
  // sends (and signs) exactly the same bytes.
  const body = JSON.stringify({ key: event.key, data: event.data, date: (event.date ?? new Date()).toISOString() });
  const [row] = await tx
    .insert(webhookDeliveries)
    .values({ eventKey: event.key, dedupeKey: event.dedupeKey, url: event.url, body })
    .onConflictDoNothing({ target: webhookDeliveries.dedupeKey })
    .returning({ id: webhookDeliveries.id });
  return row?.id ?? null;
}
