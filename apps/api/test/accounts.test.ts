import { CredentialsCipher, posts, transitionPost } from '@pubcrawl/db';
import type { InjectOptions } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eq } from 'drizzle-orm';
import { startTestApi, type TestApi } from './harness';
import { createAccount, videoBody } from './publishing-fixtures';

const SECRET = 'account-key-that-must-never-leave-0123456789';

describe('accounts API', () => {
  let api: TestApi;
  const bodies: string[] = [];
  beforeAll(async () => {
    api = await startTestApi();
  });
  // Every response of this file is kept, so the last test can prove no credential ever left.
  const call = async (options: InjectOptions) => {
    const response = await api.app.inject(options);
    bodies.push(response.body);
    return response;
  };
  afterAll(async () => {
    await api.close();
  });

  it('creates an active account and answers 201 without its credentials', async () => {
    const response = await call({
      method: 'POST',
      url: '/v1/accounts',
      headers: api.auth,
      payload: { label: 'Main', provider: 'posting', externalId: 'acct_1', credentials: { accountKey: SECRET } },
    });
    expect(response.statusCode).toBe(201);
    const account = response.json();
    expect(account).toMatchObject({ label: 'Main', provider: 'posting', externalId: 'acct_1', status: 'active', hasCredentials: true, reauthReason: null });
    expect(response.body).not.toContain(SECRET);
    expect(Object.keys(account)).not.toContain('credentials');
  });

  it('stores credentials encrypted with AES-GCM and can decrypt them', async () => {
    const result = await api.db.pool.query<{ credentials_encrypted: string }>("select credentials_encrypted from accounts where external_id = 'acct_1'");
    const stored = result.rows[0]?.credentials_encrypted ?? '';
    expect(stored.startsWith('v1:')).toBe(true);
    expect(stored).not.toContain(SECRET);
    const cipher = CredentialsCipher.fromConfig(api.env.CREDENTIALS_KEY, api.env.DATABASE_URL);
    expect(cipher.decrypt(stored)).toEqual({ accountKey: SECRET });
  });

  it('refuses a second account with the same provider and externalId with 409', async () => {
    const response = await call({ method: 'POST', url: '/v1/accounts', headers: api.auth, payload: { label: 'Again', provider: 'posting', externalId: 'acct_1' } });
    expect(response.statusCode).toBe(409);
    expect(response.json()).toMatchObject({ error: { code: 'conflict', fields: { externalId: expect.any(String) } } });
  });

  it('names the fields of an invalid account', async () => {
    const response = await call({ method: 'POST', url: '/v1/accounts', headers: api.auth, payload: { label: '', provider: 'myspace', externalId: 7 } });
    expect(response.statusCode).toBe(400);
    expect(Object.keys(response.json().error.fields).sort()).toEqual(['externalId', 'label', 'provider']);
  });

  it('returns one account by id, and 404 for an unknown one', async () => {
    const created = await createAccount(api);
    const found = await call({ method: 'GET', url: `/v1/accounts/${created.id}`, headers: api.auth });
    expect(found.statusCode).toBe(200);
    expect(found.json()).toMatchObject({ id: created.id, hasCredentials: false });
    const missing = await call({ method: 'GET', url: '/v1/accounts/00000000-0000-4000-8000-000000000000', headers: api.auth });
    expect(missing.statusCode).toBe(404);
  });

  it('pages through every account once, newest first', async () => {
    for (let index = 0; index < 5; index += 1) await createAccount(api);
    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const url: string = `/v1/accounts?limit=2${cursor === null ? '' : `&cursor=${cursor}`}`;
      const response = await call({ method: 'GET', url, headers: api.auth });
      expect(response.statusCode).toBe(200);
      const page = response.json<{ items: Array<{ id: string; createdAt: string }>; nextCursor: string | null }>();
      seen.push(...page.items.map((item) => item.id));
      cursor = page.nextCursor;
      pages += 1;
    } while (cursor !== null && pages < 20);
    const total = Number((await api.db.pool.query<{ n: string }>('select count(*)::text as n from accounts')).rows[0]?.n);
    expect(seen).toHaveLength(total);
    expect(new Set(seen).size).toBe(total);
    const bad = await call({ method: 'GET', url: '/v1/accounts?cursor=not-a-cursor', headers: api.auth });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().error.fields).toHaveProperty('cursor');
  });

  it('reauthorizes a parked account with new credentials and resumes its parked posts with a new generation', async () => {
    const account = await createAccount(api, { credentials: { accountKey: 'old-key' } });
    const created = await call({ method: 'POST', url: '/v1/posts', headers: api.auth, payload: videoBody(account.id) });
    expect(created.statusCode).toBe(202);
    const postId: string = created.json().id;
    // What the worker does on a 401/428: park the account and the post.
    await api.db.pool.query("update accounts set status = 'reauth_required', reauth_reason = 'expired', reauth_required_at = now() where id = $1", [account.id]);
    await api.db.db.transaction((tx) => transitionPost(tx, postId, ['scheduled'], 'reauth_required', { code: 'session_expired' }));

    const response = await call({
      method: 'POST',
      url: `/v1/accounts/${account.id}/reauthorize`,
      headers: api.auth,
      payload: { credentials: { accountKey: SECRET } },
    });
    expect(response.statusCode).toBe(200);
    expect(response.json()).toMatchObject({ id: account.id, status: 'active', reauthReason: null, reauthRequiredAt: null, hasCredentials: true, resumed: { posts: 1 } });
    const [post] = await api.db.db.select().from(posts).where(eq(posts.id, postId));
    expect(post).toMatchObject({ status: 'scheduled', generation: 1 });
    const job = await api.queues.publish.getJob(`publish-${postId}-1`);
    expect(job).toBeDefined();
    const stored = await api.db.pool.query<{ credentials_encrypted: string }>('select credentials_encrypted from accounts where id = $1', [account.id]);
    const cipher = CredentialsCipher.fromConfig(api.env.CREDENTIALS_KEY, api.env.DATABASE_URL);
    expect(cipher.decrypt(stored.rows[0]?.credentials_encrypted ?? '')).toEqual({ accountKey: SECRET });
  });

  it('reauthorizes without a body, and answers 404 for an unknown account', async () => {
    const account = await createAccount(api);
    const response = await call({ method: 'POST', url: `/v1/accounts/${account.id}/reauthorize`, headers: api.auth });
    expect(response.statusCode).toBe(200);
    expect(response.json()).toMatchObject({ status: 'active', resumed: { posts: 0 } });
    const missing = await call({ method: 'POST', url: '/v1/accounts/00000000-0000-4000-8000-000000000000/reauthorize', headers: api.auth, payload: {} });
    expect(missing.statusCode).toBe(404);
  });

  it('never put a credential in any response of this file', async () => {
    const list = await call({ method: 'GET', url: '/v1/accounts?limit=100', headers: api.auth });
    expect(list.statusCode).toBe(200);
    expect(bodies.length).toBeGreaterThan(10);
    for (const body of bodies) {
      expect(body).not.toContain(SECRET);
      expect(body).not.toContain('old-key');
      expect(body).not.toContain('credentials_encrypted');
      expect(body).not.toContain('credentialsEncrypted');
    }
  });
});
