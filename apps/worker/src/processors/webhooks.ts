import { createHmac } from 'node:crypto';
import { webhookAttempts, webhookDeliveries } from '@pubcrawl/db';
import { UnrecoverableError } from 'bullmq';
import { eq, sql } from 'drizzle-orm';
import type { WorkerContext } from '../context';
import type { Processor } from './index';

const DELIVERY_TIMEOUT_MS = 10_000;

export function signWebhookBody(secret: string, body: string): string {
  return `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;
}

/** Posts one stored event to WEBHOOK_URL; any non-2xx is retried with backoff, and every attempt is recorded. */
export function createWebhookProcessor(context: WorkerContext): Processor<'webhooks'> {
  return async (job) => {
    const { db } = context.db;
    const [delivery] = await db.select().from(webhookDeliveries).where(eq(webhookDeliveries.id, job.data.deliveryId));
    if (!delivery) throw new UnrecoverableError(`webhook delivery ${job.data.deliveryId} does not exist`);
    if (delivery.status === 'delivered') return { skipped: 'already delivered' };

    const secret = context.env.WEBHOOK_SECRET ?? '';
    const attempt = delivery.attempts + 1;
    const started = Date.now();
    let statusCode: number | null = null;
    let error: string | null = null;
    try {
      const response = await fetch(delivery.url, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'user-agent': 'pubcrawl-webhooks',
          'x-pubcrawl-event': delivery.eventKey,
          'x-pubcrawl-delivery': delivery.id,
          'x-pubcrawl-signature': signWebhookBody(secret, delivery.body),
        },
        body: delivery.body,
        signal: AbortSignal.timeout(DELIVERY_TIMEOUT_MS),
      });
      statusCode = response.status;
      // Drain the body so the connection can be reused; its content is the receiver's business.
      await response.arrayBuffer().catch(() => undefined);
      if (!response.ok) error = `receiver answered ${response.status}`;
    } catch (caught) {
      const failure = caught instanceof Error ? caught : new Error(String(caught));
      error = failure.name === 'TimeoutError' ? `no answer within ${DELIVERY_TIMEOUT_MS} ms` : failure.message;
    }
    const delivered = error === null;
    const lastAttempt = job.attemptsMade + 1 >= (job.opts.attempts ?? 1);
    await db.transaction(async (tx) => {
      await tx.insert(webhookAttempts).values({ deliveryId: delivery.id, attempt, statusCode, error, durationMs: Date.now() - started });
      await tx
        .update(webhookDeliveries)
        .set({
          attempts: sql`${webhookDeliveries.attempts} + 1`,
          lastStatusCode: statusCode,
          lastError: error,
          status: delivered ? 'delivered' : lastAttempt ? 'failed' : 'pending',
          deliveredAt: delivered ? new Date() : null,
        })
        .where(eq(webhookDeliveries.id, delivery.id));
    });
    if (!delivered) throw new Error(`webhook delivery failed: ${error}`);
    return { statusCode };
  };
}
