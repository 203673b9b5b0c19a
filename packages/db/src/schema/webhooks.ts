import { index, integer, jsonb, pgTable, text, uuid } from 'drizzle-orm/pg-core';
import { createdAt, id, timestampTz, updatedAt } from './columns';
import { webhookDeliveryStatusEnum } from './enums';

/** One row per event to deliver; the exact body is stored so every attempt signs the same bytes. */
export const webhookDeliveries = pgTable(
  'webhook_deliveries',
  {
    id: id(),
    eventKey: text('event_key').notNull(),
    /** Deduplicates an event raised twice by a retried job (e.g. `post.published:<post id>`). */
    dedupeKey: text('dedupe_key').unique(),
    url: text('url').notNull(),
    body: text('body').notNull(),
    status: webhookDeliveryStatusEnum('status').notNull().default('pending'),
    attempts: integer('attempts').notNull().default(0),
    lastStatusCode: integer('last_status_code'),
    lastError: text('last_error'),
    deliveredAt: timestampTz('delivered_at'),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (table) => [index('webhook_deliveries_status_idx').on(table.status), index('webhook_deliveries_created_at_id_idx').on(table.createdAt, table.id)],
);

export const webhookAttempts = pgTable(
  'webhook_attempts',
  {
    id: id(),
    deliveryId: uuid('delivery_id')
      .notNull()
      .references(() => webhookDeliveries.id, { onDelete: 'cascade' }),
    attempt: integer('attempt').notNull(),
    statusCode: integer('status_code'),
    error: text('error'),
    durationMs: integer('duration_ms').notNull(),
    data: jsonb('data'),
    createdAt: createdAt(),
  },
  (table) => [index('webhook_attempts_delivery_id_idx').on(table.deliveryId)],
);

/**
 * Webhooks received from a provider (TikTok delivers at least once and retries for 72 h). The key
 * is a hash of the delivery's body, so a redelivery is recognised and applied once.
 */
export const inboundWebhookEvents = pgTable(
  'inbound_webhook_events',
  {
    id: id(),
    provider: text('provider').notNull(),
    dedupeKey: text('dedupe_key').notNull().unique(),
    event: text('event').notNull(),
    /** TikTok's `user_openid`: the account it concerns. */
    subject: text('subject'),
    payload: jsonb('payload').notNull(),
    /** What applying it did, for an operator reading why a post moved. */
    outcome: text('outcome'),
    receivedAt: createdAt(),
  },
  (table) => [index('inbound_webhook_events_received_at_idx').on(table.receivedAt)],
);
