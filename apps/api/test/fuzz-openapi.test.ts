import { seededRandom, type RunningSandbox } from '@pubcrawl/sandbox';
import { testSandbox } from '@pubcrawl/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApi, type TestApi } from './harness';
import { createAccount, videoBody } from './publishing-fixtures';

/**
 * A schema-driven fuzz of the whole /v1 surface. It reads the live OpenAPI document, so every new
 * operation and every new field is fuzzed without anyone adding it here; only a valid request per
 * operation (the seed that mutations start from) is written by hand, and a test fails when an
 * operation has none. Replay a failure with FUZZ_SEED=<the printed seed>.
 */

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

interface JsonSchema {
  type?: string | string[];
  properties?: Record<string, JsonSchema>;
  items?: JsonSchema;
  anyOf?: JsonSchema[];
  oneOf?: JsonSchema[];
  allOf?: JsonSchema[];
}

interface Operation {
  method: string;
  path: string;
  parameters: Array<{ in: string; name: string; schema?: JsonSchema }>;
  body?: JsonSchema;
}

interface Seed {
  params?: Record<string, string>;
  query?: Record<string, string>;
  headers?: Record<string, string>;
  body?: Json;
}

interface FuzzRequest {
  method: string;
  url: string;
  headers: Record<string, string>;
  payload?: string;
  why: string;
}

const REQUESTS = 5_500;
const MB_STRING = 'm'.repeat(1_048_576);
const STRING_VALUES: Array<[string, string]> = [
  ['NUL', 'a\u0000b'],
  ['lone high surrogate', 'x\ud800'],
  ['lone low surrogate', '\udc00y'],
  ['1 MB', MB_STRING],
  ['RTL', '\u202eשלום مرحبا'],
  ['emoji', '👩🏽‍💻🔥'],
];
const NUMBER_VALUES: Array<[string, Json]> = [
  ['-1', -1],
  ['0', 0],
  ['2^53', 2 ** 53],
  ['1e308', 1e308],
  ['numeric string', '12'],
  ['fraction', 0.5],
];
const PATH_IDS = [
  'not-a-uuid',
  '00000000-0000-0000-0000-00000000000g',
  '%00',
  '..%2F..%2Fetc%2Fpasswd',
  'x'.repeat(2_000),
  "1'%20OR%20'1'%3D'1",
  '%ED%A0%80',
  '%F0%9F%98%80',
  '6f1c2b8e-0000-4000-8000-000000000000',
];
const b64 = (text: string) => Buffer.from(text).toString('base64url');
const FORGED_CURSORS: Array<[string, string]> = [
  ['garbage', '!!not*base64~~'],
  ['non-uuid id', b64(JSON.stringify({ t: '2026-01-01T00:00:00.000Z', i: 'not-a-uuid' }))],
  ['date out of range', b64(JSON.stringify({ t: '+275760-09-13T00:00:00.001Z', i: '6f1c2b8e-0000-4000-8000-000000000000' }))],
  ['position past 2^31', b64(`p:${2 ** 31}`)],
  ['wrong shape', b64('[1,2,3]')],
  ['huge number date', b64(JSON.stringify({ t: 8.64e15 + 1, i: '6f1c2b8e-0000-4000-8000-000000000000' }))],
];
const WRONG_CONTENT_TYPES = ['text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x', 'application/xml'];

function typesOf(schema: JsonSchema): string[] {
  if (schema.type === undefined) return [];
  return Array.isArray(schema.type) ? schema.type : [schema.type];
}

/** Every string and number leaf of a JSON Schema, as a path of keys ('0' for array items). */
function leaves(schema: JsonSchema | undefined, path: string[] = [], depth = 0): Array<{ path: string[]; kind: 'string' | 'number' }> {
  if (schema === undefined || depth > 8) return [];
  const found: Array<{ path: string[]; kind: 'string' | 'number' }> = [];
  for (const alternative of [...(schema.anyOf ?? []), ...(schema.oneOf ?? []), ...(schema.allOf ?? [])]) found.push(...leaves(alternative, path, depth + 1));
  const types = typesOf(schema);
  if (types.includes('string')) found.push({ path, kind: 'string' });
  if (types.includes('number') || types.includes('integer')) found.push({ path, kind: 'number' });
  for (const [key, child] of Object.entries(schema.properties ?? {})) found.push(...leaves(child, [...path, key], depth + 1));
  if (schema.items !== undefined) found.push(...leaves(schema.items, [...path, '0'], depth + 1));
  // The same leaf reached through two alternatives is fuzzed once.
  const seen = new Set<string>();
  return found.filter((leaf) => {
    const key = `${leaf.kind}:${leaf.path.join('.')}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

function setAt(root: Json | undefined, path: string[], value: Json): Json {
  if (path.length === 0) return value;
  const [head, ...rest] = path as [string, ...string[]];
  const isIndex = /^\d+$/.test(head);
  const container: Json = root !== null && typeof root === 'object' ? structuredClone(root) : isIndex ? [] : {};
  if (Array.isArray(container)) container[Number(head)] = setAt(container[Number(head)], rest, value);
  else container[head] = setAt(container[head], rest, value);
  return container;
}

function pick<T>(random: () => number, items: readonly T[]): T {
  const item = items[Math.floor(random() * items.length)];
  if (item === undefined) throw new Error('pick from an empty list');
  return item;
}

/**
 * encodeURIComponent throws on a lone surrogate; a real client sends its WTF-8 bytes instead, which
 * is what the server must cope with.
 */
function encodeLoosely(text: string): string {
  try {
    return encodeURIComponent(text);
  } catch {
    return Array.from(text, (char) => {
      const code = char.charCodeAt(0);
      if (char.length === 1 && code >= 0xd800 && code <= 0xdfff) {
        return [0xe0 | (code >> 12), 0x80 | ((code >> 6) & 0x3f), 0x80 | (code & 0x3f)].map((byte) => `%${byte.toString(16).toUpperCase()}`).join('');
      }
      return encodeURIComponent(char);
    }).join('');
  }
}

function buildUrl(operation: Operation, params: Record<string, string>, query: Record<string, string>): string {
  const path = operation.path.replace(/\{(\w+)\}/g, (_match, name: string) => params[name] ?? 'missing');
  const search = Object.entries(query)
    .map(([key, value]) => `${encodeLoosely(key)}=${encodeLoosely(value)}`)
    .join('&');
  return search ? `${path}?${search}` : path;
}

describe('a schema-driven fuzz of every /v1 operation', () => {
  let api: TestApi;
  // Linking, sync and creator-info call the posting API inside the request; without one they would
  // answer 503, which is right for an absent provider but not what this test is about.
  let sandbox: RunningSandbox;
  let operations: Operation[];
  const seeds = new Map<string, Seed>();

  beforeAll(async () => {
    // The rate limits are tested elsewhere; here they would only turn the fuzz into 429s.
    sandbox = await testSandbox({ quotaPerSecond: 0, accountLimits: null });
    api = await startTestApi({
      API_RATE_LIMIT_PER_MINUTE: '1000000',
      AUTH_FAILURES_PER_MINUTE: '1000000',
      POSTING_BASE_URL: sandbox.url,
      POSTING_API_KEY: 'fuzz-posting-key',
      TIKAPI_BASE_URL: sandbox.url,
      TIKAPI_API_KEY: 'fuzz-tikapi-key',
      TIKTOK_BASE_URL: sandbox.url,
      TIKTOK_AUTH_URL: sandbox.url,
      // A spent look-up quota is a 503 by design; the fuzz is about malformed input, not quota.
      TIKAPI_REQUESTS_PER_SECOND: '100000',
    });
    const document = (await api.app.inject({ method: 'GET', url: '/docs/json' })).json<{
      paths: Record<string, Record<string, { parameters?: Operation['parameters']; requestBody?: { content: Record<string, { schema: JsonSchema }> } }>>;
    }>();
    operations = Object.entries(document.paths).flatMap(([path, byMethod]) =>
      Object.entries(byMethod).map(([method, operation]) => ({
        method: method.toUpperCase(),
        path,
        parameters: operation.parameters ?? [],
        body: operation.requestBody?.content['application/json']?.schema,
      })),
    );

    const account = await createAccount(api, { credentials: { accountKey: 'fuzz-key' } });
    const later = new Date(Date.now() + 86_400_000).toISOString();
    const post = await api.app.inject({ method: 'POST', url: '/v1/posts', headers: api.auth, payload: videoBody(account.id, { scheduledAt: later }) });
    const crawl = await api.app.inject({ method: 'POST', url: '/v1/crawls', headers: api.auth, payload: { kind: 'followers', target: { username: 'user_5' } } });
    const scheduleBody = { name: 'fuzz', cron: '0 2 * * *', timezone: 'UTC', crawl: { kind: 'followers', target: { username: 'user_5' } } };
    const schedule = await api.app.inject({ method: 'POST', url: '/v1/schedules', headers: api.auth, payload: scheduleBody });
    const doomed = await createAccount(api);
    const link = await api.app.inject({ method: 'POST', url: '/v1/accounts/link', headers: api.auth, payload: { provider: 'posting' } });
    const ids = { doomed: doomed.id, link: link.json<{ linkId: string }>().linkId, account: account.id, post: post.json<{ id: string }>().id, crawl: crawl.json<{ id: string }>().id, schedule: schedule.json<{ id: string }>().id };
    const post0 = videoBody(account.id, { scheduledAt: later }) as Json;
    const add = (key: string, seed: Seed) => seeds.set(key, seed);
    add('POST /v1/ping', { body: { echo: 'hello' } });
    add('POST /v1/accounts', { body: { label: 'Fuzzed', provider: 'posting', externalId: 'fuzz_account', credentials: { accountKey: 'k' } } });
    add('GET /v1/accounts', { query: { limit: '5' } });
    add('GET /v1/accounts/{id}', { params: { id: ids.account } });
    add('POST /v1/accounts/link', { body: { provider: 'posting', label: 'Fuzz link' } });
    add('POST /v1/accounts/connect', { body: { provider: 'tiktok', label: 'Fuzz connect' } });
    add('GET /v1/oauth/tiktok/callback', { query: { code: 'fuzz-code', state: 'fuzz-state', scopes: 'user.info.basic' } });
    add('POST /v1/webhooks/tiktok', { body: { client_key: 'sbx_client_key', event: 'post.publish.complete', create_time: 1, user_openid: 'sbx_open_fuzz', content: '{"publish_id":"p"}' } });
    add('GET /v1/accounts/link/{linkId}', { params: { linkId: ids.link } });
    add('POST /v1/accounts/sync', { body: { provider: 'posting' } });
    add('GET /v1/accounts/{id}/creator-info', { params: { id: ids.account }, query: { maxAge: '60' } });
    add('PATCH /v1/accounts/{id}', { params: { id: ids.account }, body: { label: 'Renamed by fuzz', paused: false } });
    add('DELETE /v1/accounts/{id}', { params: { id: ids.doomed } });
    add('POST /v1/accounts/{id}/reauthorize', { params: { id: ids.account }, body: { credentials: { accountKey: 'fuzz-key-2' } } });
    add('POST /v1/posts', { headers: { 'idempotency-key': 'fuzz-idem' }, body: post0 });
    add('GET /v1/posts', { query: { status: 'scheduled', accountId: ids.account, limit: '5' } });
    add('GET /v1/posts/{id}', { params: { id: ids.post } });
    add('PATCH /v1/posts/{id}', { params: { id: ids.post }, body: { content: 'edited by fuzz', scheduledAt: later } });
    add('POST /v1/posts/batch', { headers: { 'idempotency-key': 'fuzz-batch' }, body: { posts: [{ ...(post0 as Record<string, Json>), content: 'batch 1' }, { ...(post0 as Record<string, Json>), content: 'batch 2' }] } });
    add('DELETE /v1/posts/{id}', { params: { id: ids.post } });
    add('POST /v1/posts/{id}/retry', { params: { id: ids.post } });
    add('POST /v1/posts/{id}/resolve', { params: { id: ids.post }, body: { outcome: 'published', publicUrl: 'https://www.tiktok.com/@fuzz/video/1' } });
    add('POST /v1/posts/{id}/poll', { params: { id: ids.post } });
    add('POST /v1/posts/track', { body: { accountId: ids.account, publishId: 'fuzz_publish_1' } });
    add('POST /v1/crawls', { body: { kind: 'followers', target: { username: 'user_7' }, maxItems: 10 } });
    add('GET /v1/crawls', { query: { limit: '5', status: 'queued' } });
    add('GET /v1/crawls/{id}', { params: { id: ids.crawl } });
    add('POST /v1/crawls/{id}/cancel', { params: { id: ids.crawl } });
    add('POST /v1/crawls/{id}/resume', { params: { id: ids.crawl } });
    add('GET /v1/crawls/{id}/items', { params: { id: ids.crawl }, query: { limit: '5' } });
    add('GET /v1/posts/{id}/metrics', { params: { id: ids.post } });
    add('GET /v1/crawls/{id}/changes', { params: { id: ids.crawl } });
    add('GET /v1/crawls/{id}/changes/items', { params: { id: ids.crawl }, query: { type: 'gained', limit: '5' } });
    add('GET /v1/profiles/{username}', { params: { username: 'user_5' }, query: { maxAge: '60' } });
    add('GET /v1/profiles/{username}/history', { params: { username: 'user_5' }, query: { from: '2026-01-01T00:00:00Z', limit: '5' } });
    add('GET /v1/videos/{videoId}', { params: { videoId: '7000000000000000001' }, query: { maxAge: '60' } });
    add('GET /v1/videos/{videoId}/history', { params: { videoId: '7000000000000000001' }, query: { limit: '5' } });
    add('POST /v1/schedules', { body: scheduleBody });
    add('GET /v1/schedules', { query: { limit: '5' } });
    add('GET /v1/schedules/{id}', { params: { id: ids.schedule } });
    add('PATCH /v1/schedules/{id}', { params: { id: ids.schedule }, body: { name: 'renamed', cron: '0 3 * * *' } });
    add('DELETE /v1/schedules/{id}', { params: { id: ids.schedule } });
    add('POST /v1/schedules/{id}/run', { params: { id: ids.schedule } });
    add('GET /v1/schedules/{id}/runs', { params: { id: ids.schedule }, query: { limit: '5' } });
  }, 60_000);
  afterAll(async () => {
    await api?.close();
    await sandbox?.close();
  });

  it('has a valid seed request for every operation the OpenAPI document lists', () => {
    const missing = operations.filter((operation) => operation.path.startsWith('/v1/') && !seeds.has(`${operation.method} ${operation.path}`));
    expect(missing.map((operation) => `${operation.method} ${operation.path}`)).toEqual([]);
  });

  /** Every deterministic mutation of one operation's seed. */
  function mutationsOf(operation: Operation, seed: Seed): FuzzRequest[] {
    const key = `${operation.method} ${operation.path}`;
    const params = seed.params ?? {};
    const query = seed.query ?? {};
    const headers = { ...api.auth, ...(seed.headers ?? {}) };
    const json = (body: Json | undefined) => (body === undefined ? {} : { payload: JSON.stringify(body), headers: { ...headers, 'content-type': 'application/json' } });
    const request = (why: string, parts: { params?: Record<string, string>; query?: Record<string, string>; body?: Json; raw?: { payload: string; contentType: string } }): FuzzRequest => {
      const url = buildUrl(operation, parts.params ?? params, parts.query ?? query);
      if (parts.raw !== undefined) return { method: operation.method, url, headers: { ...headers, 'content-type': parts.raw.contentType }, payload: parts.raw.payload, why: `${key}: ${why}` };
      const body = 'body' in parts ? parts.body : seed.body;
      return { method: operation.method, url, headers, ...json(body), why: `${key}: ${why}` };
    };
    const out: FuzzRequest[] = [];
    for (const leaf of leaves(operation.body)) {
      const values = leaf.kind === 'string' ? STRING_VALUES : NUMBER_VALUES;
      for (const [name, value] of values) out.push(request(`body.${leaf.path.join('.')} = ${name}`, { body: setAt(seed.body, leaf.path, value) }));
    }
    for (const parameter of operation.parameters.filter((candidate) => candidate.in === 'query')) {
      const kinds = typesOf(parameter.schema ?? {});
      const values: Array<[string, string]> = [...STRING_VALUES.filter(([name]) => name !== '1 MB'), ['64 KB', 'q'.repeat(65_536)], ...NUMBER_VALUES.map(([name, value]): [string, string] => [name, typeof value === 'string' ? value : JSON.stringify(value)])];
      for (const [name, value] of kinds.length === 0 || kinds.includes('string') || kinds.includes('number') || kinds.includes('integer') ? values : []) {
        out.push(request(`query.${parameter.name} = ${name}`, { query: { ...query, [parameter.name]: value } }));
      }
      if (parameter.name === 'cursor') for (const [name, cursor] of FORGED_CURSORS) out.push(request(`cursor forged: ${name}`, { query: { ...query, cursor } }));
    }
    if (operation.parameters.some((parameter) => parameter.in === 'path')) {
      for (const id of PATH_IDS) out.push(request(`path id = ${id.slice(0, 40)}`, { params: { ...params, id } }));
    }
    if (operation.method !== 'GET') {
      out.push(request('empty body with a JSON content type', { raw: { payload: '', contentType: 'application/json' } }));
      out.push(request('broken JSON', { raw: { payload: '{"a":', contentType: 'application/json' } }));
      for (const contentType of WRONG_CONTENT_TYPES) out.push(request(`content type ${contentType}`, { raw: { payload: 'a=1', contentType } }));
    }
    return out;
  }

  it(`answers ${REQUESTS}+ mutated requests with 4xx or success, never a 5xx, keeps /healthz fast, and writes nothing for a refused request`, async () => {
    const seed = Number(process.env.FUZZ_SEED ?? Math.floor(Math.random() * 2 ** 31));
    console.log(`fuzz seed ${seed} (replay with FUZZ_SEED=${seed})`);
    const random = seededRandom(seed);

    const fixed: FuzzRequest[] = [];
    for (const operation of operations) {
      const operationSeed = seeds.get(`${operation.method} ${operation.path}`);
      if (operationSeed !== undefined) fixed.push(...mutationsOf(operation, operationSeed));
    }
    // After every deterministic mutation, random ones: two mutations of one seed combined, so fields
    // interact, until the run reaches its count.
    const plan = [...fixed];
    while (plan.length < REQUESTS) {
      const first = pick(random, fixed);
      const second = pick(random, fixed.filter((candidate) => candidate.why.split(':')[0] === first.why.split(':')[0]));
      const bothJson = first.headers['content-type'] === 'application/json' && second.headers['content-type'] === 'application/json';
      if (bothJson && first.payload !== undefined && second.payload !== undefined && random() < 0.5) {
        plan.push({ ...first, payload: mergeJson(first.payload, second.payload), why: `${first.why} + ${second.why.split(': ')[1] ?? ''}` });
      } else {
        plan.push({ ...pick(random, [first, second]) });
      }
    }

    const snapshot = async () => {
      const { rows } = await api.db.pool.query<{ total: string }>(
        `select ((select count(*) from accounts) + (select count(*) from posts) + (select count(*) from post_events) + (select count(*) from crawls)
          + (select count(*) from schedules) + (select count(*) from schedule_runs) + (select count(*) from webhook_deliveries)
          + (select count(*) from account_links) + (select count(*) from post_batches)
          + (select count(*) from tiktok_profiles) + (select count(*) from profile_snapshots) + (select count(*) from video_snapshots))::text as total`,
      );
      let jobs = 0;
      for (const queue of Object.values(api.queues)) {
        const counts = await queue.getJobCounts('active', 'completed', 'delayed', 'failed', 'prioritized', 'waiting', 'waiting-children');
        jobs += Object.values(counts).reduce((sum, value) => sum + value, 0);
      }
      return `${rows[0]?.total ?? '?'} rows, ${jobs} jobs`;
    };

    const byStatus: Record<string, number> = {};
    const serverErrors: string[] = [];
    const writesOnRefusal: string[] = [];
    let slowestHealthMs = 0;
    let state = await snapshot();
    for (const [index, request] of plan.entries()) {
      const response = await api.app.inject({ method: request.method as 'GET', url: request.url, headers: request.headers, ...(request.payload === undefined ? {} : { payload: request.payload }) });
      byStatus[response.statusCode] = (byStatus[response.statusCode] ?? 0) + 1;
      if (response.statusCode >= 500) serverErrors.push(`${response.statusCode} ${request.why}: ${response.body.slice(0, 200)}`);
      if (response.statusCode >= 400) {
        // The OAuth callback answers a browser, so its refusals are pages; everything else is JSON.
        if (String(response.headers['content-type']).startsWith('text/html')) expect(response.body, request.why).toMatch(/<h1>[^<]+<\/h1><p>[^<]+<\/p>/);
        else expect(response.json(), request.why).toMatchObject({ error: { code: expect.any(String), message: expect.any(String) } });
        const after = await snapshot();
        if (after !== state) writesOnRefusal.push(`${response.statusCode} ${request.why}: ${state} -> ${after}`);
        state = after;
      } else {
        state = await snapshot();
      }
      if (index % 25 === 0) {
        const started = performance.now();
        const health = await api.app.inject({ method: 'GET', url: '/healthz' });
        slowestHealthMs = Math.max(slowestHealthMs, performance.now() - started);
        expect(health.statusCode).toBe(200);
      }
    }
    console.log(`fuzz: ${plan.length} requests (${fixed.length} deterministic), by status ${JSON.stringify(byStatus)}, slowest /healthz ${slowestHealthMs.toFixed(1)} ms`);
    expect(plan.length).toBeGreaterThanOrEqual(5_000);
    expect(serverErrors).toEqual([]);
    expect(writesOnRefusal).toEqual([]);
    expect(slowestHealthMs).toBeLessThan(100);
  }, 600_000);
});

/** Two JSON object bodies, the second's top-level keys laid over the first's. */
function mergeJson(first: string, second: string): string {
  let a: unknown;
  let b: unknown;
  try {
    a = JSON.parse(first);
    b = JSON.parse(second);
  } catch {
    // One of them is the deliberately broken body: send that as it is.
    return second;
  }
  if (a === null || b === null || typeof a !== 'object' || typeof b !== 'object' || Array.isArray(a) || Array.isArray(b)) return second;
  return JSON.stringify({ ...a, ...b });
}
