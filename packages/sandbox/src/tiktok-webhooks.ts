import { createHmac } from 'node:crypto';
import { toError } from './errors';

/** TikTok retries an unacknowledged event with backoff for up to 72 hours, then drops it. */
export const WEBHOOK_RETRY_HORIZON_MS = 72 * 3_600_000;
const FIRST_RETRY_MS = 1_000;
const MAX_RETRY_MS = 3_600_000;
const DELIVERY_TIMEOUT_MS = 5_000;

export interface TikTokEventBody {
  client_key: string;
  event: string;
  /** Seconds since the epoch, on the sandbox's wall clock. */
  create_time: number;
  user_openid: string;
  /** TikTok serialises the event's details as a JSON string inside the JSON body. */
  content: string;
}

export interface WebhookDelivery {
  event: string;
  body: string;
  signature: string;
  /** HTTP status, or the error text when the request failed without one. */
  outcome: number | string;
  attempt: number;
}

interface PendingEvent {
  body: string;
  event: string;
  /** Copies still owed: 2 when the duplicate switch was on when it was queued. */
  copies: number;
  attempts: number;
  firstQueuedAt: number;
  nextAttemptAt: number;
}

/** `t=<seconds>,s=<hex HMAC-SHA256(secret, "<t>.<body>")>`, as TikTok's webhooks-verification page describes. */
export function tiktokSignature(secret: string, timestampS: number, body: string): string {
  const digest = createHmac('sha256', secret).update(`${timestampS}.${body}`).digest('hex');
  return `t=${timestampS},s=${digest}`;
}

/**
 * Signed, at-least-once delivery to the app's one callback URL. Events wait in memory; `deliverDue`
 * sends what is due, and a failed send (non-2xx or no answer) is retried with doubling delays until
 * the 72 h horizon.
 */
export class TikTokWebhooks {
  url: string | null = null;
  /** Deliver every event twice, the way TikTok's at-least-once delivery sometimes does. */
  duplicate = false;
  private pending: PendingEvent[] = [];
  private readonly log: WebhookDelivery[] = [];
  private sending: Promise<WebhookDelivery[]> | null = null;

  constructor(
    private readonly now: () => number,
    private readonly clock: () => number,
  ) {}

  enqueue(input: { clientKey: string; event: string; openId: string; content: Record<string, unknown> }): void {
    const body: TikTokEventBody = {
      client_key: input.clientKey,
      event: input.event,
      create_time: Math.floor(this.clock() / 1000),
      user_openid: input.openId,
      content: JSON.stringify(input.content),
    };
    const now = this.now();
    this.pending.push({ body: JSON.stringify(body), event: input.event, copies: this.duplicate ? 2 : 1, attempts: 0, firstQueuedAt: now, nextAttemptAt: now });
  }

  pendingCount(): number {
    return this.pending.length;
  }

  deliveries(): WebhookDelivery[] {
    return this.log.map((delivery) => ({ ...delivery }));
  }

  /** Sends every due event once; concurrent callers share the same round, so nothing is sent twice by accident. */
  deliverDue(secret: string): Promise<WebhookDelivery[]> {
    this.sending ??= this.round(secret).finally(() => {
      this.sending = null;
    });
    return this.sending;
  }

  clear(): void {
    this.url = null;
    this.duplicate = false;
    this.pending = [];
    this.log.length = 0;
  }

  private async round(secret: string): Promise<WebhookDelivery[]> {
    const url = this.url;
    if (url === null) return [];
    const now = this.now();
    const due = this.pending.filter((event) => event.nextAttemptAt <= now);
    const sent: WebhookDelivery[] = [];
    // In queue order, one at a time: TikTok promises no ordering, but a deterministic sandbox should.
    for (const event of due) {
      while (event.copies > 0) {
        const delivery = await this.send(url, secret, event);
        sent.push(delivery);
        if (typeof delivery.outcome !== 'number' || delivery.outcome < 200 || delivery.outcome >= 300) break;
        event.copies--;
      }
      if (event.copies > 0) {
        const delay = Math.min(MAX_RETRY_MS, FIRST_RETRY_MS * 2 ** (event.attempts - 1));
        event.nextAttemptAt = this.now() + delay;
      }
    }
    this.pending = this.pending.filter((event) => event.copies > 0 && this.now() - event.firstQueuedAt < WEBHOOK_RETRY_HORIZON_MS);
    return sent;
  }

  private async send(url: string, secret: string, event: PendingEvent): Promise<WebhookDelivery> {
    event.attempts++;
    // Signed at send time, so a retry carries a fresh timestamp a receiver's tolerance window accepts.
    const signature = tiktokSignature(secret, Math.floor(this.clock() / 1000), event.body);
    let outcome: number | string;
    try {
      const response = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'TikTok-Signature': signature },
        body: event.body,
        signal: AbortSignal.timeout(DELIVERY_TIMEOUT_MS),
      });
      await response.arrayBuffer();
      outcome = response.status;
    } catch (caught) {
      outcome = toError(caught).message;
    }
    const delivery: WebhookDelivery = { event: event.event, body: event.body, signature, outcome, attempt: event.attempts };
    this.log.push(delivery);
    return delivery;
  }
}
