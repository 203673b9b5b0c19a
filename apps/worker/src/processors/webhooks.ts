import { createHmac, timingSafeEqual } from 'node:crypto';
import { findWebhookDelivery, recordWebhookAttempt } from '@pubcrawl/db';

import type { WorkerContext } from '../context';
import { JobFailed } from '../job-contract';
import type { Processor } from './index';
import { toError } from '@pubcrawl/errors';

const DELIVERY_TIMEOUT_MS = 10_000;

/** How far a signature's time may be from the receiver's clock; the README's snippet uses the same. */
export const WEBHOOK_TOLERANCE_SECONDS = 300;

function hmacHex(secret: string, timestampSeconds: number, body: string): string {
  return createHmac('sha256', secret).update(`${timestampSeconds}.${body}`).digest('hex');
}

/**
 * The `X-Pubcrawl-Signature` value: `t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<raw body>">`.
 * The signed time lets a receiver refuse a captured request replayed later; a bare body HMAC (the
 * old `sha256=` form) stayed valid forever.
 */
export function signWebhookBody(secret: string, body: string, timestampSeconds: number): string {
  return `t=${timestampSeconds},v1=${hmacHex(secret, timestampSeconds, body)}`;
}

export interface VerifyWebhookOptions {
  /** Largest accepted distance between the signed time and `now`, either way. Default 300 (5 minutes). */
  toleranceSeconds?: number;
  /** The receiver's clock, in Unix seconds. Default `Date.now() / 1000`. */
  now?: number;
}

/**
 * For receivers (and tests): true when `header` is a pubcrawl signature of exactly `rawBody` by
 * `secret`, made within the tolerance of `now`. Compares in constant time.
 */
export function verifyWebhookSignature(secret: string, header: string | undefined, rawBody: string, options: VerifyWebhookOptions = {}): boolean {
  const { toleranceSeconds = WEBHOOK_TOLERANCE_SECONDS, now = Date.now() / 1000 } = options;
  const match = /^t=(\d+),v1=([0-9a-f]{64})$/.exec(header ?? '');
  if (match === null) return false;
  const timestampSeconds = Number(match[1]);
  if (Math.abs(now - timestampSeconds) > toleranceSeconds) return false;
  const expected = Buffer.from(hmacHex(secret, timestampSeconds, rawBody), 'hex');
  return timingSafeEqual(expected, Buffer.from(match[2] ?? '', 'hex'));
}

/** Posts one stored event to WEBHOOK_URL; any non-2xx is retried with backoff, and every attempt is recorded. */
export function createWebhookProcessor(context: WorkerContext): Processor<'webhooks'> {
  return async (run) => {
    const { db } = context.db;
    const { deliveryId } = run.payload;
    const delivery = await findWebhookDelivery(db, deliveryId);
    if (delivery === null) throw new JobFailed(`webhook delivery ${deliveryId} does not exist`);
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
          // Signed at each attempt, not when the event was recorded: a retry hours later must still
          // fall within the receiver's tolerance.
          'x-pubcrawl-signature': signWebhookBody(secret, delivery.body, Math.floor(Date.now() / 1000)),
        },
        body: delivery.body,
        // A redirect would send the signed event to wherever the receiver (or whoever controls its
        // address) points, possibly inside our own network; the configured URL is the only target.
        redirect: 'manual',
        signal: AbortSignal.timeout(DELIVERY_TIMEOUT_MS),
      });
      statusCode = response.status;
      // Drain the body so the connection can be reused; its content is the receiver's business.
      await response.arrayBuffer().catch(() => undefined);
      if (response.status >= 300 && response.status < 400) error = `receiver answered ${response.status}; redirects are not followed`;
      else if (!response.ok) error = `receiver answered ${response.status}`;
    } catch (caught) {
      const failure = toError(caught);
      error = failure.name === 'TimeoutError' ? `no answer within ${DELIVERY_TIMEOUT_MS} ms` : failure.message;
    }
    const delivered = error === null;
    await recordWebhookAttempt(db, delivery.id, { attempt, statusCode, error, durationMs: Date.now() - started, lastAttempt: run.isLastAttempt });
    if (!delivered) throw new Error(`webhook delivery failed: ${error}`);
    return { statusCode };
  };
}
