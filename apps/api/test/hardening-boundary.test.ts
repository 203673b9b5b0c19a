import { insertCrawl } from '@pubcrawl/db';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildServer } from '../src/server';
import { startTestApi, type TestApi } from './harness';
import { createAccount, jobCount, tableCount, videoBody } from './publishing-fixtures';

const basic = (user: string, password: string) => `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;

describe('the text guard at the HTTP boundary', () => {
  let api: TestApi;
  let accountId: string;
  beforeAll(async () => {
    api = await startTestApi();
    accountId = (await createAccount(api)).id;
  });
  afterAll(async () => {
    await api?.close();
  });

  it('refuses NUL and lone surrogates in any string, naming the field, and writes nothing', async () => {
    const before = { accounts: await tableCount(api, 'accounts'), posts: await tableCount(api, 'posts'), jobs: await jobCount(api) };
    const cases: Array<[string, object, string]> = [
      ['/v1/accounts', { label: 'a\u0000b', provider: 'posting', externalId: 'x1' }, 'label'],
      ['/v1/accounts', { label: 'fine', provider: 'posting', externalId: '\ud800' }, 'externalId'],
      ['/v1/accounts', { label: 'lone \udc00 low', provider: 'posting', externalId: 'x2' }, 'label'],
      ['/v1/posts', videoBody(accountId, { content: 'caption \u0000' }), 'content'],
      ['/v1/posts', videoBody(accountId, { mediaItems: [{ url: 'https://cdn.example.com/a\u0000.mp4' }] }), 'mediaItems.0.url'],
      ['/v1/posts/track', { accountId, publishId: 'p\u0000' }, 'publishId'],
      ['/v1/crawls', { kind: 'followers', target: { username: 'user\u0000' } }, 'target.username'],
      ['/v1/crawls', { kind: 'hashtag', target: { hashtag: '\udfff' } }, 'target.hashtag'],
      ['/v1/schedules', { name: 'n\u0000', cron: '0 2 * * *', timezone: 'UTC', crawl: { kind: 'followers', target: { username: 'u' } } }, 'name'],
    ];
    for (const [url, payload, field] of cases) {
      const response = await api.app.inject({ method: 'POST', url, headers: { ...api.auth, 'content-type': 'application/json' }, payload: JSON.stringify(payload) });
      expect(response.statusCode, `${url} ${field}`).toBe(400);
      expect(response.json<{ error: { fields: Record<string, string> } }>().error.fields, `${url} ${field}`).toHaveProperty([field]);
    }
    // A key is a string too.
    const keyed = await api.app.inject({ method: 'POST', url: '/v1/accounts', headers: api.auth, payload: { label: 'l', provider: 'posting', externalId: 'x3', 'evil\u0000': 1 } });
    expect(keyed.statusCode).toBe(400);
    expect(Object.keys(keyed.json<{ error: { fields: Record<string, string> } }>().error.fields)).toEqual(['evil\u0000']);
    expect({ accounts: await tableCount(api, 'accounts'), posts: await tableCount(api, 'posts'), jobs: await jobCount(api) }).toEqual(before);
  });

  it('refuses NUL in the query string and in path parameters', async () => {
    const query = await api.app.inject({ method: 'GET', url: '/v1/posts?cursor=%00abc', headers: api.auth });
    expect(query.statusCode).toBe(400);
    expect(query.json<{ error: { fields: Record<string, string> } }>().error.fields).toHaveProperty(['cursor']);
    const path = await api.app.inject({ method: 'GET', url: '/v1/posts/%00', headers: api.auth });
    expect(path.statusCode).toBe(400);
    expect(path.json<{ error: { fields: Record<string, string> } }>().error.fields).toHaveProperty(['id']);
  });

  it('keeps emoji, right-to-left text and paired surrogates exactly as sent', async () => {
    const label = 'שלום 👋🏽 مرحبا \u202e';
    const response = await api.app.inject({ method: 'POST', url: '/v1/accounts', headers: api.auth, payload: { label, provider: 'posting', externalId: 'rtl_1' } });
    expect(response.statusCode).toBe(201);
    expect(response.json<{ label: string }>().label).toBe(label);
  });
});

describe('media URLs at the API', () => {
  let api: TestApi;
  let accountId: string;
  beforeAll(async () => {
    api = await startTestApi({ MEDIA_HOSTS: 'cdn.example.com', LOG_LEVEL: 'error' });
    accountId = (await createAccount(api)).id;
  });
  afterAll(async () => {
    await api?.close();
  });

  it('refuses a URL that only looks like an allowed host, and stores the normalised form of one that is', async () => {
    const before = await tableCount(api, 'posts');
    for (const url of ['https://cdn.example.com\\@evil.com/a.mp4', ' https://cdn.example.com/a.mp4', 'https:cdn.example.com/a.mp4']) {
      const refused = await api.app.inject({ method: 'POST', url: '/v1/posts', headers: api.auth, payload: videoBody(accountId, { mediaItems: [{ url }] }) });
      expect(refused.statusCode, url).toBe(400);
      expect(refused.json<{ error: { fields: Record<string, string> } }>().error.fields, url).toHaveProperty(['mediaItems.0.url']);
    }
    expect(await tableCount(api, 'posts')).toBe(before);

    const accepted = await api.app.inject({
      method: 'POST',
      url: '/v1/posts',
      headers: api.auth,
      payload: videoBody(accountId, { mediaItems: [{ url: 'https://CDN.EXAMPLE.com:443/dir/../clip.mp4' }], scheduledAt: new Date(Date.now() + 3_600_000).toISOString() }),
    });
    expect(accepted.statusCode, accepted.body).toBe(202);
    const { rows } = await api.db.pool.query<{ url: string }>(`select request->'mediaItems'->0->>'url' as url from posts where id = $1`, [accepted.json<{ id: string }>().id]);
    expect(rows[0]?.url).toBe('https://cdn.example.com/clip.mp4');
  });

  it('refuses loopback, private and metadata hosts by default', async () => {
    const open = await startTestApi();
    try {
      const account = await createAccount(open);
      for (const url of ['https://127.0.0.1/a.mp4', 'https://169.254.169.254/a.mp4', 'https://[::1]/a.mp4', 'https://localhost/a.mp4']) {
        const refused = await open.app.inject({ method: 'POST', url: '/v1/posts', headers: open.auth, payload: videoBody(account.id, { mediaItems: [{ url }] }) });
        expect(refused.statusCode, url).toBe(400);
        expect(refused.json<{ error: { fields: Record<string, string> } }>().error.fields['mediaItems.0.url'], url).toContain('MEDIA_ALLOW_PRIVATE_HOSTS');
      }
    } finally {
      await open.close();
    }
  });
});

describe('rate limits', () => {
  let api: TestApi;
  beforeAll(async () => {
    api = await startTestApi({ API_RATE_LIMIT_PER_MINUTE: '5', AUTH_FAILURES_PER_MINUTE: '3' });
  });
  afterAll(async () => {
    await api?.close();
  });

  it('answers the request past API_RATE_LIMIT_PER_MINUTE with 429, Retry-After and the envelope, counted across API replicas', async () => {
    // A second server on the same Redis and prefix: the count lives in Redis, not in one process.
    const replica = await buildServer(api.context);
    try {
      const statuses: number[] = [];
      for (let index = 0; index < 5; index += 1) {
        const server = index % 2 === 0 ? api.app : replica;
        statuses.push((await server.inject({ method: 'POST', url: '/v1/ping', headers: api.auth })).statusCode);
      }
      expect(statuses).toEqual([200, 200, 200, 200, 200]);
      const limited = await replica.inject({ method: 'POST', url: '/v1/ping', headers: api.auth });
      expect(limited.statusCode).toBe(429);
      expect(Number(limited.headers['retry-after'])).toBeGreaterThan(0);
      expect(Number(limited.headers['retry-after'])).toBeLessThanOrEqual(60);
      expect(limited.json()).toMatchObject({ error: { code: 'rate_limited' } });
      // The same key spelled differently is the same budget.
      const respelled = await api.app.inject({ method: 'POST', url: '/v1/ping', headers: { authorization: `bearer   ${api.auth.authorization.slice('Bearer '.length)}` } });
      expect(respelled.statusCode).toBe(429);
      // Another key has its own budget.
      const other = await api.app.inject({ method: 'POST', url: '/v1/ping', headers: { authorization: 'Bearer second-key' } });
      expect(other.statusCode).toBe(200);
    } finally {
      await replica.close();
    }
  });

  it('refuses an address after AUTH_FAILURES_PER_MINUTE wrong keys, even with a right one, until the window passes', async () => {
    const wrong = { authorization: 'Bearer not-a-key' };
    for (let index = 0; index < 3; index += 1) {
      expect((await api.app.inject({ method: 'POST', url: '/v1/ping', headers: wrong, remoteAddress: '203.0.113.7' })).statusCode).toBe(401);
    }
    const blocked = await api.app.inject({ method: 'POST', url: '/v1/ping', headers: { authorization: 'Bearer second-key' }, remoteAddress: '203.0.113.7' });
    expect(blocked.statusCode).toBe(429);
    expect(Number(blocked.headers['retry-after'])).toBeGreaterThan(0);
    expect(blocked.json()).toMatchObject({ error: { code: 'rate_limited' } });
    // Another address is not affected.
    const elsewhere = await api.app.inject({ method: 'POST', url: '/v1/ping', headers: { authorization: 'Bearer second-key' }, remoteAddress: '203.0.113.8' });
    expect(elsewhere.statusCode).not.toBe(429);
  });
});

describe('failed-login budgets behind a proxy', () => {
  it('counts per forwarded client address when TRUST_PROXY trusts the proxy, so one guesser does not lock out the rest', async () => {
    const api = await startTestApi({ AUTH_FAILURES_PER_MINUTE: '2', TRUST_PROXY: '1' });
    try {
      const fromProxy = (client: string, key: string) =>
        api.app.inject({ method: 'POST', url: '/v1/ping', headers: { authorization: `Bearer ${key}`, 'x-forwarded-for': client }, remoteAddress: '10.0.0.2' });
      expect((await fromProxy('198.51.100.20', 'wrong')).statusCode).toBe(401);
      expect((await fromProxy('198.51.100.20', 'wrong')).statusCode).toBe(401);
      expect((await fromProxy('198.51.100.20', 'second-key')).statusCode).toBe(429);
      expect((await fromProxy('198.51.100.21', 'second-key')).statusCode).toBe(200);
    } finally {
      await api.close();
    }
  });
});

describe('the board under attack', () => {
  let api: TestApi;
  beforeAll(async () => {
    api = await startTestApi({ BOARD_USERNAME: 'admin', BOARD_PASSWORD: 'board-secret', AUTH_FAILURES_PER_MINUTE: '3' });
  });
  afterAll(async () => {
    await api?.close();
  });

  it('answers 401 in the envelope with a Basic challenge, and 429 after too many wrong passwords', async () => {
    const anonymous = await api.app.inject({ method: 'GET', url: '/admin/queues/api/queues' });
    expect(anonymous.statusCode).toBe(401);
    expect(anonymous.headers['www-authenticate']).toContain('Basic');
    expect(anonymous.json()).toMatchObject({ error: { code: 'not_authenticated' } });
    for (let index = 0; index < 3; index += 1) {
      const wrong = await api.app.inject({ method: 'GET', url: '/admin/queues', headers: { authorization: basic('admin', `guess-${index}`) }, remoteAddress: '198.51.100.1' });
      expect(wrong.statusCode).toBe(401);
      expect(wrong.json()).toMatchObject({ error: { code: 'not_authenticated' } });
    }
    const blocked = await api.app.inject({ method: 'GET', url: '/admin/queues', headers: { authorization: basic('admin', 'board-secret') }, remoteAddress: '198.51.100.1' });
    expect(blocked.statusCode).toBe(429);
    expect(blocked.headers['retry-after']).toBeDefined();
    expect(blocked.json()).toMatchObject({ error: { code: 'rate_limited' } });
  });

  it('refuses malformed board requests with a 400 naming the field, and never shows internal error text', async () => {
    const auth = { authorization: basic('admin', 'board-secret') };
    const paged = await api.app.inject({ method: 'GET', url: '/admin/queues/api/queues?activeQueue=publish&status=completed&page=99999999999999999999&jobsPerPage=1e30', headers: auth });
    expect(paged.statusCode).toBe(400);
    expect(paged.json()).toMatchObject({ error: { code: 'invalid_input', fields: { page: expect.any(String) } } });
    const missing = await api.app.inject({ method: 'GET', url: '/admin/queues/api/queues/publish/no-such-job', headers: auth });
    expect(missing.statusCode).toBe(404);
    expect(missing.json()).toMatchObject({ error: { code: 'not_found', message: 'Job not found' } });
    for (const response of [paged, missing]) {
      expect(response.body).not.toMatch(/Lua|ERR |stack|Internal server error/);
    }
  });
});

describe('security headers', () => {
  let api: TestApi;
  beforeAll(async () => {
    api = await startTestApi({ BOARD_USERNAME: 'admin', BOARD_PASSWORD: 'board-secret' });
  });
  afterAll(async () => {
    await api?.close();
  });

  it('denies framing and sniffing everywhere, and forbids caching /v1 answers', async () => {
    const responses = {
      v1: await api.app.inject({ method: 'POST', url: '/v1/ping', headers: api.auth }),
      v1Refused: await api.app.inject({ method: 'POST', url: '/v1/ping' }),
      docs: await api.app.inject({ method: 'GET', url: '/docs/' }),
      board: await api.app.inject({ method: 'GET', url: '/admin/queues', headers: { authorization: basic('admin', 'board-secret') } }),
      health: await api.app.inject({ method: 'GET', url: '/healthz' }),
    };
    for (const [name, response] of Object.entries(responses)) {
      expect(response.headers['x-content-type-options'], name).toBe('nosniff');
      expect(response.headers['x-frame-options'], name).toBe('DENY');
      expect(String(response.headers['content-security-policy']), name).toContain("frame-ancestors 'none'");
    }
    expect(responses.v1.headers['cache-control']).toBe('no-store');
    expect(responses.v1Refused.headers['cache-control']).toBe('no-store');
  });
});

describe('empty bodies and CSV', () => {
  let api: TestApi;
  beforeAll(async () => {
    api = await startTestApi();
  });
  afterAll(async () => {
    await api?.close();
  });

  it('treats an empty body with a JSON content type as no body', async () => {
    const account = await createAccount(api);
    const post = await api.app.inject({ method: 'POST', url: '/v1/posts', headers: api.auth, payload: videoBody(account.id, { scheduledAt: new Date(Date.now() + 3_600_000).toISOString() }) });
    const postId = post.json<{ id: string }>().id;
    const json = { ...api.auth, 'content-type': 'application/json' };

    const ping = await api.app.inject({ method: 'POST', url: '/v1/ping', headers: json, payload: '' });
    expect(ping.statusCode, ping.body).toBe(200);
    const reauthorize = await api.app.inject({ method: 'POST', url: `/v1/accounts/${account.id}/reauthorize`, headers: json, payload: '  ' });
    expect(reauthorize.statusCode).not.toBe(400);
    const cancel = await api.app.inject({ method: 'DELETE', url: `/v1/posts/${postId}`, headers: json, payload: '' });
    expect(cancel.statusCode).toBe(200);
    // A route that needs a body says which field is missing, not "invalid JSON".
    const needsBody = await api.app.inject({ method: 'POST', url: '/v1/accounts', headers: json, payload: '' });
    expect(needsBody.statusCode).toBe(400);
    expect(needsBody.json()).toMatchObject({ error: { code: 'invalid_input' } });
  });

  it('neutralises formulas in every CSV column, and lets Accept choose CSV', async () => {
    const crawl = await api.db.db.transaction((tx) => insertCrawl(tx, { kind: 'followers', target: { username: 'csv_case' } }));
    if (crawl === null) throw new Error('no crawl');
    await api.db.db.execute(sql`
      insert into tiktok_users (id, unique_id, nickname, sec_uid, follower_count, raw)
      values ('=cmd|calc', '+fan', '@nick', '-sec', 5, '{}'::jsonb)`);
    await api.db.db.execute(sql`insert into crawl_items (crawl_id, item_id, position) values (${crawl.id}::uuid, '=cmd|calc', 0)`);
    const response = await api.app.inject({ method: 'GET', url: `/v1/crawls/${crawl.id}/items`, headers: { ...api.auth, accept: 'text/csv' } });
    expect(response.statusCode).toBe(200);
    expect(response.headers['content-type']).toContain('text/csv');
    expect(response.body.split('\r\n')[1]).toBe(`0,'=cmd|calc,'+fan,'@nick,'-sec,5`);
    const preferJson = await api.app.inject({ method: 'GET', url: `/v1/crawls/${crawl.id}/items`, headers: { ...api.auth, accept: 'application/json, text/csv;q=0.5' } });
    expect(preferJson.headers['content-type']).toContain('application/json');
    const ndjson = await api.app.inject({ method: 'GET', url: `/v1/crawls/${crawl.id}/items`, headers: { ...api.auth, accept: 'text/csv;q=0.2, application/x-ndjson' } });
    expect(ndjson.headers['content-type']).toContain('application/x-ndjson');
  });
});
