import { randomUUID } from 'node:crypto';
import { recordWebhookEvent, webhookAttempts, webhookDeliveries } from '@pubcrawl/db';
import { enqueueWebhook } from '@pubcrawl/queue';
import { waitFor } from '@pubcrawl/testing';
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { verifyWebhookSignature } from '../src/index';
import { startWorkerHarness, type WorkerHarness } from './harness';
import { startWebhookReceiver, type ReceivedWebhook } from './webhook-receiver';

const SECRET = 'signature-test-secret-0123456789';

/** The snippet the README tells receivers to paste, imported from the very file it is copied from. */
type VerifyPubcrawlSignature = (secret: string, header: string | undefined, rawBody: string, nowSeconds?: number) => boolean;
const snippetUrl = new URL('../../../docs/verify-webhook.mjs', import.meta.url).href;
const { verifyPubcrawlSignature } = (await import(snippetUrl)) as { verifyPubcrawlSignature: VerifyPubcrawlSignature };

type Receiver = Awaited<ReturnType<typeof startWebhookReceiver>>;

describe('webhook signatures and redirects', () => {
  let harness: WorkerHarness;
  let receiver: Receiver;
  let target: Receiver;
  let redirector: Receiver;

  beforeAll(async () => {
    receiver = await startWebhookReceiver();
    target = await startWebhookReceiver();
    redirector = await startWebhookReceiver({ status: 302, headers: { location: target.url } });
    harness = await startWorkerHarness({ env: { WEBHOOK_URL: receiver.url, WEBHOOK_SECRET: SECRET } });
    harness.startWorkers();
  });
  afterAll(async () => {
    await harness.close();
    await Promise.all([receiver.close(), target.close(), redirector.close()]);
  });

  async function deliver(url: string): Promise<string> {
    const id = await recordWebhookEvent(harness.context.db.db, {
      key: 'post.published',
      data: { id: randomUUID(), note: 'caf\u00e9 \u2615' },
      dedupeKey: `signature-test:${randomUUID()}`,
      url,
    });
    if (id === null) throw new Error('the delivery was not recorded');
    await enqueueWebhook(harness.context.queues, id);
    return id;
  }

  it('signs each delivery with its time; the README snippet accepts it, and refuses a replay 301 s later or a tampered body', async () => {
    const deliveryId = await deliver(receiver.url);
    const hook: ReceivedWebhook = await waitFor(() => receiver.received.find((entry) => entry.headers['x-pubcrawl-delivery'] === deliveryId), { timeoutMs: 15_000 });
    const header = String(hook.headers['x-pubcrawl-signature']);
    const receivedAt = Date.now() / 1000;

    expect(header).toMatch(/^t=\d+,v1=[0-9a-f]{64}$/);
    const signedAt = Number(/^t=(\d+)/.exec(header)?.[1]);
    expect(Math.abs(receivedAt - signedAt)).toBeLessThan(10);

    expect(verifyPubcrawlSignature(SECRET, header, hook.body)).toBe(true);
    expect(verifyPubcrawlSignature(SECRET, header, hook.body, signedAt + 300)).toBe(true);
    expect(verifyPubcrawlSignature(SECRET, header, hook.body, signedAt + 301)).toBe(false);
    expect(verifyPubcrawlSignature(SECRET, header, hook.body.replace('published', 'failed'))).toBe(false);
    expect(verifyPubcrawlSignature('another-secret-0123456789', header, hook.body)).toBe(false);

    // The worker's own export agrees with the snippet on every case.
    expect(verifyWebhookSignature(SECRET, header, hook.body)).toBe(true);
    expect(verifyWebhookSignature(SECRET, header, hook.body, { now: signedAt + 301 })).toBe(false);
    expect(verifyWebhookSignature(SECRET, header, `${hook.body} `)).toBe(false);
  });

  it('does not follow a 302 to another receiver, and records the attempt as failed', async () => {
    const deliveryId = await deliver(redirector.url);
    const [attempt] = await waitFor(
      async () => {
        const rows = await harness.context.db.db.select().from(webhookAttempts).where(eq(webhookAttempts.deliveryId, deliveryId));
        return rows.length > 0 ? rows : undefined;
      },
      { timeoutMs: 15_000 },
    );
    expect(attempt).toMatchObject({ attempt: 1, statusCode: 302, error: 'receiver answered 302; redirects are not followed' });
    const [delivery] = await harness.context.db.db.select().from(webhookDeliveries).where(eq(webhookDeliveries.id, deliveryId));
    expect(delivery).toMatchObject({ status: 'pending', lastStatusCode: 302, deliveredAt: null });
    expect(redirector.received.filter((entry) => entry.headers['x-pubcrawl-delivery'] === deliveryId).length).toBeGreaterThanOrEqual(1);
    // Long enough for a followed redirect to have arrived: it would be the very next request.
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(target.received).toEqual([]);
  });
});
