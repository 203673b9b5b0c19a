import { recordWebhookEvent, type Executor } from '@pubcrawl/db';
import { enqueueWebhook } from '@pubcrawl/queue';
import type { WebhookEventKey } from '@pubcrawl/domain';
import type { WorkerContext } from './context';

/**
 * Emitting an event is two steps, because a job must never be enqueued for a row that might roll
 * back: `recordEvent` inside the transaction, `dispatchEvents` after it commits. If the process dies
 * in between, the webhook reconciler finds the pending delivery and enqueues it.
 */
export async function recordEvent(
  context: WorkerContext,
  tx: Executor,
  key: WebhookEventKey,
  data: unknown,
  dedupeKey: string,
): Promise<string | null> {
  const url = context.env.WEBHOOK_URL;
  if (url === undefined) return null;
  return recordWebhookEvent(tx, { key, data, dedupeKey, url });
}

export async function dispatchEvents(context: WorkerContext, deliveryIds: ReadonlyArray<string | null>): Promise<void> {
  for (const id of deliveryIds) if (id !== null) await enqueueWebhook(context.queues, id);
}
