import { seededRandom } from '@pubcrawl/sandbox';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApi, type TestApi } from './harness';
import { createAccount, jobCount, photoBody, tableCount, videoBody } from './publishing-fixtures';

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type Body = Record<string, Json>;

interface Case {
  url: '/v1/posts' | '/v1/accounts';
  /** A JSON value to send, or raw text (broken JSON, wrong content types). */
  payload: { json: Json } | { raw: string; contentType: string };
  why: string;
}

const WRONG_VALUES: Json[] = [0, -1, 3.5, 1e300, true, false, null, 'text', '', [], [1, 2], {}, { nested: { deeper: [1] } }];

function pick<T>(random: () => number, items: readonly T[]): T {
  const item = items[Math.floor(random() * items.length)];
  if (item === undefined) throw new Error('pick from an empty list');
  return item;
}

function clone(body: Body): Body {
  return JSON.parse(JSON.stringify(body)) as Body;
}

function settingsOf(body: Body): Body {
  const settings = body.settings;
  if (settings === null || typeof settings !== 'object' || Array.isArray(settings)) throw new Error('no settings');
  return settings;
}

/** Each mutation alone makes a valid post body invalid, so any combination of them stays invalid. */
const POST_MUTATIONS: Array<[string, (body: Body, random: () => number) => void]> = [
  ['drop a required field', (body, random) => void delete body[pick(random, ['accountId', 'content', 'mediaItems', 'settings'])]],
  ['drop a required setting', (body, random) => void delete settingsOf(body)[pick(random, ['privacyLevel', 'allowComment'])]],
  ['wrong type at the root', (body, random) => {
    const field = pick(random, ['accountId', 'content', 'mediaItems', 'settings', 'photoTitle', 'scheduledAt', 'mediaType']);
    // A copy, so a later mutation can't put an object inside itself (WRONG_VALUES holds shared objects).
    const value = structuredClone(pick(random, WRONG_VALUES));
    // Any string is a valid caption or photo title, so those two get a number instead.
    body[field] = (field === 'content' || field === 'photoTitle') && typeof value === 'string' ? 7 : field === 'mediaType' && value === 'text' ? 'gif' : value;
  }],
  ['wrong type in settings', (body, random) => {
    const field = pick(random, ['privacyLevel', 'allowComment', 'allowDuet', 'allowStitch', 'videoCoverTimestampMs', 'draft', 'madeWithAi']);
    const value = structuredClone(pick(random, WRONG_VALUES.filter((candidate) => typeof candidate !== 'boolean' && typeof candidate !== 'number')));
    settingsOf(body)[field] = value;
  }],
  ['a huge caption', (body, random) => void (body.content = 'x'.repeat(4_001 + Math.floor(random() * 200_000)))],
  ['a huge photo title', (body, random) => void (body.photoTitle = 't'.repeat(91 + Math.floor(random() * 50_000)))],
  ['a huge URL', (body) => void (body.mediaItems = [{ url: `https://cdn.example.com/${'a'.repeat(3_000)}.mp4` }])],
  ['a bad URL', (body, random) => void (body.mediaItems = [{ url: pick(random, ['http://cdn.example.com/a.mp4', 'ftp://cdn.example.com/a.mp4', 'javascript:alert(1)', '', 'https://', '/a.mp4', 'https://user:pw@cdn.example.com/a.mp4']) }])],
  ['no media', (body) => void (body.mediaItems = [])],
  ['36 photos', (body) => void (body.mediaItems = Array.from({ length: 36 }, (_, index) => ({ url: `https://cdn.example.com/${index}.jpg` })))],
  ['a video and a photo', (body) => void (body.mediaItems = [{ url: 'https://cdn.example.com/a.mp4' }, { url: 'https://cdn.example.com/b.png' }])],
  ['a media item with extra keys', (body) => void (body.mediaItems = [{ url: 'https://cdn.example.com/a.mp4', type: 'video' }])],
  ['an unknown privacy level', (body, random) => void (settingsOf(body).privacyLevel = pick(random, ['PUBLIC', 'public_to_everyone', 'FRIENDS', '']))],
  ['an unknown root key', (body, random) => void (body[pick(random, ['tiktokSettings', 'account_id', '__proto__x', 'extra'])] = 1)],
  ['an unknown setting', (body) => void (settingsOf(body).privacy_level = 'SELF_ONLY')],
  ['a malformed scheduledAt', (body, random) => void (body.scheduledAt = pick(random, ['tomorrow', '2026-13-01T00:00:00Z', '2026-01-01', '2026-01-01T00:00:00', '9999-12-31T23:59:59Z', '']))],
  ['an account that does not exist', (body) => void (body.accountId = '00000000-0000-4000-8000-000000000000')],
  ['an account id that is not a uuid', (body, random) => void (body.accountId = pick(random, ['acct_1', '1', 'x'.repeat(500), '00000000-0000-0000-0000']))],
  ['a negative cover timestamp', (body) => void (settingsOf(body).videoCoverTimestampMs = -5)],
];

const ACCOUNT_MUTATIONS: Array<[string, (body: Body, random: () => number) => void]> = [
  ['drop a required field', (body, random) => void delete body[pick(random, ['label', 'provider', 'externalId'])]],
  ['wrong type', (body, random) => void (body[pick(random, ['label', 'provider', 'externalId', 'credentials'])] = pick(random, WRONG_VALUES.filter((value) => value !== '' && value !== 'text' && !(typeof value === 'object' && value !== null && !Array.isArray(value) && Object.keys(value).length === 0))))],
  ['an unknown provider', (body, random) => void (body.provider = pick(random, ['TikTok', 'POSTING', 'instagram', '']))],
  ['a huge label', (body, random) => void (body.label = 'l'.repeat(201 + Math.floor(random() * 100_000)))],
  ['a blank label', (body) => void (body.label = '   ')],
  ['an unknown key', (body) => void (body.status = 'active')],
  ['bad credentials', (body, random) => void (body.credentials = pick(random, [{ accountKey: '' }, { accountKey: 5 }, { password: 'x' }, 'secret', [1]] as Json[]))],
];

function brokenJson(random: () => number): string {
  const valid = JSON.stringify(videoBody('00000000-0000-4000-8000-000000000000'));
  return pick(random, [
    valid.slice(0, Math.floor(random() * (valid.length - 1))),
    '{',
    '{"accountId": }',
    "{'single': 'quotes'}",
    '{"a":1,}',
    valid.replace(':', ''),
    String.fromCharCode(...Array.from({ length: 40 }, () => Math.floor(random() * 256))),
    'undefined',
  ]);
}

function generate(random: () => number, accountId: string, count: number): Case[] {
  const cases: Case[] = [];
  while (cases.length < count) {
    const roll = random();
    if (roll < 0.55) {
      const body = clone((random() < 0.5 ? videoBody(accountId) : photoBody(accountId, 3)) as Body);
      const applied: string[] = [];
      for (let index = 0, n = 1 + Math.floor(random() * 3); index < n; index += 1) {
        const [name, mutate] = pick(random, POST_MUTATIONS);
        try {
          mutate(body, random);
          applied.push(name);
        } catch {
          // The settings object was already replaced by an earlier mutation; that one still counts.
        }
      }
      cases.push({ url: '/v1/posts', payload: { json: body }, why: applied.join(' + ') });
    } else if (roll < 0.75) {
      const body: Body = { label: 'Fuzzed', provider: 'posting', externalId: `fuzz_${cases.length}` };
      const [name, mutate] = pick(random, ACCOUNT_MUTATIONS);
      mutate(body, random);
      cases.push({ url: '/v1/accounts', payload: { json: body }, why: name });
    } else if (roll < 0.9) {
      cases.push({ url: pick(random, ['/v1/posts', '/v1/accounts'] as const), payload: { raw: brokenJson(random), contentType: 'application/json' }, why: 'broken JSON' });
    } else if (roll < 0.95) {
      cases.push({ url: pick(random, ['/v1/posts', '/v1/accounts'] as const), payload: { json: pick(random, [null, [], [videoBody(accountId)] as Json, 42, 'a string', true] as Json[]) }, why: 'not an object' });
    } else if (roll < 0.98) {
      cases.push({ url: '/v1/posts', payload: { raw: JSON.stringify(videoBody(accountId)), contentType: pick(random, ['text/plain', 'application/x-www-form-urlencoded', 'application/xml']) }, why: 'not JSON' });
    } else {
      cases.push({ url: pick(random, ['/v1/posts', '/v1/accounts'] as const), payload: { json: { ...videoBody(accountId), content: 'y'.repeat(1_100_000) } as Body }, why: 'a body over the 1 MB limit' });
    }
  }
  return cases;
}

describe('500 malformed requests to POST /v1/posts and POST /v1/accounts', () => {
  let api: TestApi;
  let accountId: string;
  beforeAll(async () => {
    api = await startTestApi();
    accountId = (await createAccount(api)).id;
  });
  afterAll(async () => {
    await api.close();
  });

  it('answers every one with a 4xx (with field errors for invalid input), never a 5xx, and writes nothing', async () => {
    const seed = Number(process.env.FUZZ_SEED ?? Date.now() % 1_000_000);
    const cases = generate(seededRandom(seed), accountId, 500);
    const byStatus: Record<number, number> = {};
    const problems: string[] = [];
    for (const [index, testCase] of cases.entries()) {
      const { payload } = testCase;
      const response = await api.app.inject({
        method: 'POST',
        url: testCase.url,
        headers: { ...api.auth, 'content-type': 'raw' in payload ? payload.contentType : 'application/json' },
        payload: 'raw' in payload ? payload.raw : JSON.stringify(payload.json),
      });
      byStatus[response.statusCode] = (byStatus[response.statusCode] ?? 0) + 1;
      const body = (() => {
        try {
          return response.json<{ error?: { code?: string; fields?: Record<string, string> } }>();
        } catch {
          return null;
        }
      })();
      const describeCase = `#${index} ${testCase.url} (${testCase.why}) → ${response.statusCode} ${response.body.slice(0, 200)}`;
      if (response.statusCode < 400 || response.statusCode >= 500) problems.push(describeCase);
      else if (body?.error?.code === undefined) problems.push(`no error envelope: ${describeCase}`);
      else if (body.error.code === 'invalid_input' && Object.keys(body.error.fields ?? {}).length === 0) problems.push(`no field errors: ${describeCase}`);
    }
    console.log(`malformed requests (seed ${seed}): by status ${JSON.stringify(byStatus)}`);
    expect(problems).toEqual([]);
    expect(await tableCount(api, 'posts')).toBe(0);
    expect(await tableCount(api, 'post_events')).toBe(0);
    expect(await tableCount(api, 'accounts')).toBe(1);
    expect(await jobCount(api)).toBe(0);
  });
});
