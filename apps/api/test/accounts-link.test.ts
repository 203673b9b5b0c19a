import { waitFor } from '@pubcrawl/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getPost, startOperatorWorld, waitForPost, type OperatorWorld } from './operator-world';
import { tableCount, videoBody } from './publishing-fixtures';

interface LinkView {
  linkId: string;
  status: string;
  expiresAt: string;
  message: string | null;
  account?: { id: string; externalId: string; username: string | null; displayName: string | null; label: string; status: string };
}

describe('linking posting-API accounts by QR code', () => {
  let world: OperatorWorld;
  beforeAll(async () => {
    world = await startOperatorWorld();
  }, 30_000);
  afterAll(async () => {
    await world.close();
  }, 30_000);

  async function startLink(label?: string): Promise<{ linkId: string; qrCodeImage: string; expiresAt: string; token: string }> {
    const response = await world.api.app.inject({ method: 'POST', url: '/v1/accounts/link', headers: world.api.auth, payload: { provider: 'posting', ...(label ? { label } : {}) } });
    expect(response.statusCode, response.body).toBe(201);
    const created = response.json<{ linkId: string; qrCodeImage: string; expiresAt: string }>();
    // Newest first: the code this request just made.
    const pending = (await world.admin('GET', '/qr')) as Array<{ token: string }>;
    const token = pending[0]?.token;
    if (token === undefined) throw new Error('the sandbox lists no pending QR code');
    return { ...created, token };
  }

  async function link(linkId: string): Promise<LinkView> {
    const response = await world.api.app.inject({ method: 'GET', url: `/v1/accounts/link/${linkId}`, headers: world.api.auth });
    expect(response.statusCode, response.body).toBe(200);
    return response.json();
  }

  async function linkReaches(linkId: string, status: string): Promise<LinkView> {
    let last: LinkView | null = null;
    return waitFor(
      async () => {
        last = await link(linkId);
        return last.status === status ? last : undefined;
      },
      { timeoutMs: 10_000, describe: () => last },
    );
  }

  it('confirmed: the account appears without the client polling, and it can publish', async () => {
    const started = await startLink('Shop front');
    expect(started.qrCodeImage).toMatch(/^data:image\/png;base64,/);
    expect(new Date(started.expiresAt).getTime()).toBeGreaterThan(Date.now());
    expect((await link(started.linkId)).status).toBe('new');
    // The token authenticates checks with the provider: it never leaves pubcrawl.
    expect(JSON.stringify(await link(started.linkId))).not.toContain(started.token);

    await world.admin('POST', `/qr/${started.token}/scan`);
    await linkReaches(started.linkId, 'scanned');
    await world.admin('POST', `/qr/${started.token}/confirm`, { accountId: 'acct_qr_4242', username: 'qr_shop' });
    // Only the worker's job checks the provider; nothing here asks between confirm and this wait.
    const confirmed = await linkReaches(started.linkId, 'confirmed');
    expect(confirmed.account).toMatchObject({ externalId: 'acct_qr_4242', username: 'qr_shop', label: 'Shop front', status: 'active' });
    const accountId = confirmed.account?.id ?? '';

    const created = await world.api.app.inject({ method: 'POST', url: '/v1/posts', headers: world.api.auth, payload: videoBody(accountId, { content: 'linked by QR' }) });
    expect(created.statusCode, created.body).toBe(202);
    const post = await waitForPost(world.api, created.json<{ id: string }>().id, (view) => view.status === 'published');
    expect(post.status).toBe('published');
  });

  it('linking the same provider account again updates it instead of making a second one', async () => {
    const before = await tableCount(world.api, 'accounts');
    const started = await startLink();
    await world.admin('POST', `/qr/${started.token}/confirm`, { accountId: 'acct_qr_4242', username: 'qr_shop_renamed' });
    const confirmed = await linkReaches(started.linkId, 'confirmed');
    expect(confirmed.account).toMatchObject({ externalId: 'acct_qr_4242', username: 'qr_shop_renamed', label: 'Shop front' });
    expect(await tableCount(world.api, 'accounts')).toBe(before);
  });

  it('expired: the link says so and no account is written', async () => {
    const before = await tableCount(world.api, 'accounts');
    const started = await startLink();
    await world.admin('POST', `/qr/${started.token}/expire`);
    const expired = await linkReaches(started.linkId, 'expired');
    expect(expired.account).toBeUndefined();
    expect(await tableCount(world.api, 'accounts')).toBe(before);
  });

  it("a plan without QR login is a 403 subscription_required with the provider's message, and nothing is written", async () => {
    await world.admin('PUT', '/config', { subscription: 'free' });
    try {
      const before = await world.api.db.pool.query<{ count: string }>('select count(*)::text as count from account_links');
      const response = await world.api.app.inject({ method: 'POST', url: '/v1/accounts/link', headers: world.api.auth, payload: { provider: 'posting' } });
      expect(response.statusCode).toBe(403);
      expect(response.json()).toMatchObject({ error: { code: 'subscription_required', message: expect.stringContaining('Maximum subscription') } });
      const after = await world.api.db.pool.query<{ count: string }>('select count(*)::text as count from account_links');
      expect(after.rows[0]?.count).toBe(before.rows[0]?.count);
    } finally {
      await world.admin('PUT', '/config', { subscription: 'maximum' });
    }
  });

  it('bad input names the field', async () => {
    const wrongProvider = await world.api.app.inject({ method: 'POST', url: '/v1/accounts/link', headers: world.api.auth, payload: { provider: 'tikapi' } });
    expect(wrongProvider.statusCode).toBe(400);
    expect(wrongProvider.json<{ error: { fields: Record<string, string> } }>().error.fields).toHaveProperty('provider');
    const badId = await world.api.app.inject({ method: 'GET', url: '/v1/accounts/link/not-a-uuid', headers: world.api.auth });
    expect(badId.statusCode).toBe(400);
    const unknown = await world.api.app.inject({ method: 'GET', url: '/v1/accounts/link/00000000-0000-4000-8000-000000000000', headers: world.api.auth });
    expect(unknown.statusCode).toBe(404);
    // A post for an account created by a link is still looked up like any other.
    await expect(getPost(world.api, '00000000-0000-4000-8000-000000000000')).rejects.toThrow(/404/);
  });
});
