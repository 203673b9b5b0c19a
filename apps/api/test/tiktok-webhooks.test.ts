import { createHmac } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getPost, waitForPost, type OperatorWorld } from './operator-world';
import { connectedAccount, createTikTokPost, startTikTokWorld, tiktokAccounts, tiktokOpenId, tiktokVideoBody, type AccountRowView } from './tiktok-world';

let world: OperatorWorld;
let account: AccountRowView;
let webhookUrl: string;

const SECRET = 'sbx_client_secret';

beforeAll(async () => {
  // Polls so slow that only the webhook can finish a post within the test's patience.
  world = await startTikTokWorld({ worker: { PUBLISH_STATUS_FIRST_INTERVAL_MS: '60000', TIKTOK_STATUS_MAX_INTERVAL_MS: '120000' } });
  await world.api.app.listen({ port: 0, host: '127.0.0.1' });
  const { port } = world.api.app.server.address() as AddressInfo;
  webhookUrl = `http://127.0.0.1:${port}/v1/webhooks/tiktok`;
  account = await connectedAccount(world, 'creator_30');
});
afterAll(async () => {
  await world.close();
});

const sign = (body: string, timestampS = Math.floor(Date.now() / 1000), secret = SECRET) => `t=${timestampS},s=${createHmac('sha256', secret).update(`${timestampS}.${body}`).digest('hex')}`;
const deliver = (body: string, signature: string | undefined) =>
  world.api.app.inject({ method: 'POST', url: '/v1/webhooks/tiktok', headers: { 'content-type': 'application/json', ...(signature === undefined ? {} : { 'tiktok-signature': signature }) }, payload: body });
const inboundRows = async () => (await world.api.db.pool.query<{ event: string; outcome: string | null }>('select event, outcome from inbound_webhook_events order by created_at')).rows;

describe('POST /v1/webhooks/tiktok', () => {
  it('a signed publish event finishes a post long before its next poll', async () => {
    await world.admin('PUT', '/tiktok/webhook', { url: webhookUrl, duplicate: false });
    const id = await createTikTokPost(world.api, tiktokVideoBody(account.id, { content: 'finished by webhook' }));
    const started = Date.now();
    const post = await waitForPost(world.api, id, (view) => view.status === 'published', 15_000);
    // The first poll is 60 s after submission; the webhook brought it to now.
    expect(Date.now() - started).toBeLessThan(15_000);
    expect(post.status).toBe('published');
    const rows = await inboundRows();
    expect(rows.some((row) => row.event === 'post.publish.complete' && row.outcome?.includes('status poll'))).toBe(true);
  });

  it('refuses a bad, stale, missing or foreign signature with 401, and records nothing', async () => {
    const body = JSON.stringify({ client_key: 'sbx_client_key', event: 'post.publish.complete', create_time: 1, user_openid: tiktokOpenId('creator_30'), content: '{"publish_id":"x"}' });
    const before = (await inboundRows()).length;
    const wrongSecret = await deliver(body, sign(body, undefined, 'not-the-secret'));
    expect(wrongSecret.statusCode).toBe(401);
    expect(wrongSecret.json<{ error: { code: string } }>().error.code).toBe('invalid_signature');
    expect((await deliver(body, sign(body, Math.floor(Date.now() / 1000) - 600))).statusCode).toBe(401);
    expect((await deliver(body, undefined)).statusCode).toBe(401);
    expect((await deliver(`${body} `, sign(body))).statusCode).toBe(401);
    const foreign = JSON.stringify({ client_key: 'another_app', event: 'authorization.removed', create_time: 1, user_openid: tiktokOpenId('creator_30'), content: '{"reason":1}' });
    expect((await deliver(foreign, sign(foreign))).statusCode).toBe(401);
    expect((await inboundRows()).length).toBe(before);
    expect((await tiktokAccounts(world.api)).find((row) => row.id === account.id)?.status).toBe('active');
  });

  it('a duplicate delivery is applied once', async () => {
    await world.admin('PUT', '/tiktok/webhook', { url: webhookUrl, duplicate: true });
    const id = await createTikTokPost(world.api, tiktokVideoBody(account.id, { content: 'delivered twice' }));
    await waitForPost(world.api, id, (view) => view.status === 'published', 15_000);
    const publishId = (await getPost(world.api, id)) as unknown as { publishId: string };
    // Both copies were acknowledged; only one was recorded and applied.
    await expect
      .poll(async () => {
        const deliveries = (await world.admin('GET', '/tiktok/webhook/deliveries')) as Array<{ body: string; outcome: number | string }>;
        return deliveries.filter((delivery) => delivery.body.includes(publishId.publishId) && delivery.outcome === 200).length;
      }, { timeout: 5_000 })
      .toBeGreaterThanOrEqual(2);
    // Two acknowledged copies of the completion, one row, applied once.
    const deliveries = (await world.admin('GET', '/tiktok/webhook/deliveries')) as Array<{ event: string; body: string; outcome: number | string }>;
    const completions = deliveries.filter((delivery) => delivery.event === 'post.publish.complete' && delivery.body.includes(publishId.publishId));
    expect(completions.filter((delivery) => delivery.outcome === 200).length).toBeGreaterThanOrEqual(2);
    expect(new Set(completions.map((delivery) => delivery.body)).size).toBe(1);
    const rows = (await world.api.db.pool.query<{ outcome: string | null }>("select outcome from inbound_webhook_events where event = 'post.publish.complete' and payload->>'content' like $1", [`%${publishId.publishId}%`])).rows;
    expect(rows).toHaveLength(1);
    expect(rows[0]?.outcome).toMatch(/status poll|moved on|published/);
    const distinctBodies = new Set(completions.map((delivery) => delivery.body));

    // The same bytes again, freshly signed (TikTok's retry): acknowledged, not applied.
    const [again] = [...distinctBodies];
    if (again === undefined) throw new Error('no delivery seen');
    const replay = await deliver(again, sign(again));
    expect(replay.statusCode).toBe(200);
    expect(replay.json()).toMatchObject({ received: true, duplicate: true, applied: false });
  });

  it('authorization.removed parks the account and its scheduled posts', async () => {
    const other = await connectedAccount(world, 'creator_31');
    const later = await createTikTokPost(world.api, tiktokVideoBody(other.id, { content: 'for later', scheduledAt: new Date(Date.now() + 3_600_000).toISOString() }));
    await world.admin('PUT', '/tiktok/webhook', { url: webhookUrl, duplicate: false });
    await world.admin('POST', `/tiktok/users/${tiktokOpenId('creator_31')}/revoke`);
    await expect.poll(async () => (await tiktokAccounts(world.api)).find((row) => row.id === other.id)?.status, { timeout: 5_000 }).toBe('reauth_required');
    const row = (await tiktokAccounts(world.api)).find((candidate) => candidate.id === other.id);
    expect(row?.reauthReason).toContain('authorization.removed');
    expect((await getPost(world.api, later)).status).toBe('reauth_required');
  });
});
