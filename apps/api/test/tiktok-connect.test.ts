import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { OperatorWorld } from './operator-world';
import { connectTikTok, followAuthorize, startTikTokWorld, tiktokAccounts, tiktokOpenId } from './tiktok-world';

let world: OperatorWorld;

beforeAll(async () => {
  world = await startTikTokWorld();
});
afterAll(async () => {
  await world.close();
});
beforeEach(async () => {
  await world.admin('POST', '/reset');
});

const oauthRows = async () => (await world.api.db.pool.query<{ outcome: string | null; used_at: Date | null; state_hash: string }>('select outcome, used_at, state_hash from oauth_states')).rows;

describe('POST /v1/accounts/connect and the TikTok callback', () => {
  it('approve: an active tiktok account with its tokens stored encrypted and never shown', async () => {
    const started = await world.api.app.inject({ method: 'POST', url: '/v1/accounts/connect', headers: world.api.auth, payload: { provider: 'tiktok', label: 'Brand A' } });
    expect(started.statusCode).toBe(201);
    const body = started.json<{ authorizeUrl: string; state: string; expiresAt: string }>();
    const authorize = new URL(body.authorizeUrl);
    expect(authorize.pathname).toBe('/v2/auth/authorize/');
    expect(authorize.searchParams.get('scope')).toBe('user.info.basic,video.publish,video.upload,video.list');
    expect(authorize.searchParams.get('state')).toBe(body.state);
    expect(authorize.searchParams.get('code_challenge_method')).toBe('S256');
    expect(new Date(body.expiresAt).getTime() - Date.now()).toBeGreaterThan(9 * 60_000);

    const back = await followAuthorize(body.authorizeUrl, { user: 'creator_7' });
    const page = await world.api.app.inject({ method: 'GET', url: `${back.pathname}${back.search}` });
    expect(page.statusCode).toBe(200);
    expect(page.headers['content-type']).toContain('text/html');
    expect(page.body).toContain('Connected');

    const [account] = await tiktokAccounts(world.api);
    expect(account).toMatchObject({ externalId: tiktokOpenId('creator_7'), status: 'active', label: 'Brand A', hasCredentials: true });
    expect(JSON.stringify(account)).not.toMatch(/act\.|rft\.|access|refresh/i);
    const stored = await world.api.db.pool.query<{ credentials_encrypted: string; access_expires_at: Date }>('select credentials_encrypted, access_expires_at from accounts where id = $1', [account?.id]);
    expect(stored.rows[0]?.credentials_encrypted).toMatch(/^v1:/);
    expect(stored.rows[0]?.access_expires_at.getTime()).toBeGreaterThan(Date.now());
    // The state is kept only as a hash, and spent.
    const [row] = await oauthRows();
    expect(row).toMatchObject({ outcome: 'connected' });
    expect(row?.state_hash).not.toBe(body.state);
    expect(row?.used_at).not.toBeNull();
  });

  it('connecting the same TikTok user again renews the same account instead of adding one', async () => {
    expect((await connectTikTok(world, { user: 'creator_8' })).status).toBe(200);
    const again = await connectTikTok(world, { user: 'creator_8' });
    expect(again.status).toBe(200);
    expect(again.page).toContain('tokens are renewed');
    expect((await tiktokAccounts(world.api)).filter((account) => account.externalId === tiktokOpenId('creator_8'))).toHaveLength(1);
  });

  it('deny: a page that says so, and no account', async () => {
    const before = (await tiktokAccounts(world.api)).length;
    const result = await connectTikTok(world, { user: 'creator_9', deny: true });
    expect(result.status).toBe(403);
    expect(result.page).toContain('did not authorize');
    expect((await tiktokAccounts(world.api)).length).toBe(before);
    expect((await tiktokAccounts(world.api)).some((account) => account.externalId === tiktokOpenId('creator_9'))).toBe(false);
  });

  it('a replayed state is refused and writes nothing more', async () => {
    const started = await world.api.app.inject({ method: 'POST', url: '/v1/accounts/connect', headers: world.api.auth, payload: { provider: 'tiktok' } });
    const back = await followAuthorize(started.json<{ authorizeUrl: string }>().authorizeUrl, { user: 'creator_10' });
    const first = await world.api.app.inject({ method: 'GET', url: `${back.pathname}${back.search}` });
    expect(first.statusCode).toBe(200);
    const accounts = (await tiktokAccounts(world.api)).length;
    const replay = await world.api.app.inject({ method: 'GET', url: `${back.pathname}${back.search}` });
    expect(replay.statusCode).toBe(409);
    expect(replay.body).toContain('already used');
    expect((await tiktokAccounts(world.api)).length).toBe(accounts);
  });

  it('an expired, unknown or missing state gets a clear page, and the code is never exchanged', async () => {
    const started = await world.api.app.inject({ method: 'POST', url: '/v1/accounts/connect', headers: world.api.auth, payload: { provider: 'tiktok' } });
    const back = await followAuthorize(started.json<{ authorizeUrl: string }>().authorizeUrl, { user: 'creator_11' });
    await world.api.db.pool.query("update oauth_states set expires_at = now() - interval '1 second' where used_at is null");
    const tokenCallsBefore = world.sandbox.stats().requests.byEndpoint['POST /v2/oauth/token/']?.total ?? 0;
    const expired = await world.api.app.inject({ method: 'GET', url: `${back.pathname}${back.search}` });
    expect(expired.statusCode).toBe(410);
    expect(expired.body).toContain('expired');
    const unknown = await world.api.app.inject({ method: 'GET', url: '/v1/oauth/tiktok/callback?code=abc&state=never-issued' });
    expect(unknown.statusCode).toBe(400);
    expect(unknown.body).toContain('does not belong to a connect');
    const missing = await world.api.app.inject({ method: 'GET', url: '/v1/oauth/tiktok/callback?code=abc' });
    expect(missing.statusCode).toBe(400);
    expect(world.sandbox.stats().requests.byEndpoint['POST /v2/oauth/token/']?.total ?? 0).toBe(tokenCallsBefore);
    expect((await tiktokAccounts(world.api)).some((account) => account.externalId === tiktokOpenId('creator_11'))).toBe(false);
  });

  it('escapes what TikTok sends back into the page', async () => {
    const started = await world.api.app.inject({ method: 'POST', url: '/v1/accounts/connect', headers: world.api.auth, payload: { provider: 'tiktok' } });
    const { state } = started.json<{ state: string }>();
    const page = await world.api.app.inject({ method: 'GET', url: `/v1/oauth/tiktok/callback?state=${state}&error=${encodeURIComponent('<script>x</script>')}` });
    expect(page.statusCode).toBe(403);
    expect(page.body).not.toContain('<script>');
  });

  it('refuses tiktok accounts made by hand and tiktok reauthorize, naming the way in', async () => {
    const created = await world.api.app.inject({ method: 'POST', url: '/v1/accounts', headers: world.api.auth, payload: { label: 'x', provider: 'tiktok', externalId: 'someone' } });
    expect(created.statusCode).toBe(400);
    expect(created.json<{ error: { fields: Record<string, string> } }>().error.fields.provider).toContain('/v1/accounts/connect');
    const connect = await world.api.app.inject({ method: 'POST', url: '/v1/accounts/connect', headers: world.api.auth, payload: { provider: 'posting' } });
    expect(connect.statusCode).toBe(400);
    const unauthenticated = await world.api.app.inject({ method: 'POST', url: '/v1/accounts/connect', payload: { provider: 'tiktok' } });
    expect(unauthenticated.statusCode).toBe(401);
  });
});
