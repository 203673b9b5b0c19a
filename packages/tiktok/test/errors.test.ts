import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { testSandbox } from '@pubcrawl/testing';
import { TIKTOK_ERROR_MESSAGES, type RunningSandbox } from '@pubcrawl/sandbox';
import {
  Ambiguous,
  Permanent,
  PostingClient,
  RateLimited,
  SessionExpired,
  TIKTOK_STATUS_CODES,
  TikApiClient,
  Transient,
  accountScope,
  classifyPostingError,
  classifyTikApiError,
  computeBackoffMs,
  parseRetryAfterMs,
  type TikTokCodeKind,
} from '../src/index';
import { failure } from './failure';

const API_KEY = 'sk_errors_test_secret';
const CLASSES = { RateLimited, SessionExpired, Transient, Permanent, Ambiguous } as const;

/**
 * The intended class of every TikTok statusCode, written out independently of the table in
 * src/errors.ts so that a change there has to be a deliberate change here too.
 */
const INTENDED_TRANSIENT = [10000, 10101, 10102, 10111, 10113, 10114, 10215, 10217];
const INTENDED_SESSION_EXPIRED = [8];
function intendedKind(code: number): TikTokCodeKind {
  if (INTENDED_TRANSIENT.includes(code)) return 'Transient';
  if (INTENDED_SESSION_EXPIRED.includes(code)) return 'SessionExpired';
  return 'Permanent';
}

let sandbox: RunningSandbox;
let tikapi: TikApiClient;
let posting: PostingClient;

beforeAll(async () => {
  sandbox = await testSandbox();
  tikapi = new TikApiClient({ baseUrl: sandbox.url, apiKey: API_KEY });
  posting = new PostingClient({ baseUrl: sandbox.url, apiKey: API_KEY });
});

afterEach(() => sandbox.reset());

afterAll(async () => {
  await Promise.all([tikapi.close(), posting.close()]);
  await sandbox.close();
});

function expectNoSecrets(error: Error, ...secrets: string[]): void {
  const visible = `${error.message}\n${error.stack ?? ''}\n${JSON.stringify(error)}`;
  for (const secret of secrets) expect(visible).not.toContain(secret);
}

const video = (accountId: string, url = 'https://cdn.example.com/clip.mp4') => ({
  accountId,
  content: 'hello',
  mediaItems: [{ url }],
  tiktokSettings: { privacy_level: 'SELF_ONLY' as const, allow_comment: true, allow_duet: false, allow_stitch: false },
});

describe('upstream answers over real HTTP', () => {
  it('turns a 429 into RateLimited carrying the precise wait and the API key scope', async () => {
    sandbox.configure({ quotaPerSecond: 1 });
    const results = await Promise.allSettled([tikapi.checkUser('user_1'), tikapi.checkUser('user_2'), tikapi.checkUser('user_3')]);
    const limited = results.flatMap((result) => (result.status === 'rejected' && result.reason instanceof RateLimited ? [result.reason] : []));
    expect(results.filter((result) => result.status === 'fulfilled')).toHaveLength(1);
    expect(limited).toHaveLength(2);
    for (const error of limited) {
      expect(error.httpStatus).toBe(429);
      // One token per second was just spent: the next is under a second away, and the sandbox's
      // X-RateLimit-Reset-Ms (preferred over the whole-second Retry-After) says exactly how far.
      expect(error.retryAfterMs).toBeGreaterThan(800);
      expect(error.retryAfterMs).toBeLessThanOrEqual(1000);
      expect(error.scope).toEqual(tikapi.quotaScope);
      expectNoSecrets(error, API_KEY);
    }
  });

  it('turns the 428 of an expired account key into SessionExpired without leaking the key', async () => {
    sandbox.expireAccount('acct_5');
    const error = await failure(tikapi.followersPage({ accountKey: 'acct_5' }));
    expect(error).toBeInstanceOf(SessionExpired);
    expect(error).toMatchObject({ httpStatus: 428, code: '8', upstream: 'tikapi', endpoint: 'GET /user/followers' });
    expectNoSecrets(error, API_KEY, 'acct_5');
  });

  it("turns the posting API's 401 access_token_invalid into SessionExpired", async () => {
    sandbox.expireAccount('acct_5');
    const error = await failure(posting.createPost(video('acct_5')));
    expect(error).toBeInstanceOf(SessionExpired);
    expect(error).toMatchObject({ httpStatus: 401, code: 'access_token_invalid' });
    expect(await failure(posting.getStatus('acct_5', 'v_pub_url~v2.1'))).toBeInstanceOf(SessionExpired);
  });

  it('turns a bad API key into Permanent on both upstreams', async () => {
    const badTikapi = new TikApiClient({ baseUrl: sandbox.url, apiKey: '' });
    const badPosting = new PostingClient({ baseUrl: sandbox.url, apiKey: '' });
    try {
      const scraping = await failure(badTikapi.checkUser('user_1'));
      expect(scraping).toBeInstanceOf(Permanent);
      expect(scraping.httpStatus).toBe(401);
      const publishing = await failure(badPosting.listAccounts());
      expect(publishing).toBeInstanceOf(Permanent);
      expect(publishing).toMatchObject({ httpStatus: 401, code: 'invalid_api_key' });
    } finally {
      await Promise.all([badTikapi.close(), badPosting.close()]);
    }
  });

  it('turns invalid parameters and unknown publishes into Permanent, keeping code and message', async () => {
    const body = video('acct_9');
    const invalid = await failure(posting.createPost({ ...body, tiktokSettings: { privacy_level: 'SELF_ONLY', allow_comment: true } }));
    expect(invalid).toBeInstanceOf(Permanent);
    expect(invalid).toMatchObject({ httpStatus: 400, code: 'invalid_params' });
    expect(invalid.message).toContain('allow_duet');
    const missing = await failure(posting.getStatus('acct_9', 'v_pub_url~v2.404'));
    expect(missing).toMatchObject({ kind: 'Permanent', httpStatus: 404, code: 'not_found' });
  });

  it('refuses an invalid post body before sending it', async () => {
    const error = await failure(posting.createPost({ ...video('acct_9'), mediaItems: [] }));
    expect(error).toMatchObject({ kind: 'Permanent', code: 'invalid_body' });
    expect(sandbox.stats().publishes).toEqual([]);
  });
});

describe('the TikTok statusCode table', () => {
  it('covers every code TikAPI documents, with its documented message', () => {
    for (const [code, message] of TIKTOK_ERROR_MESSAGES) {
      expect(TIKTOK_STATUS_CODES[code], `code ${code}`).toMatchObject({ message });
    }
  });

  it('gives every code the intended class and a reason', () => {
    for (const [code, entry] of Object.entries(TIKTOK_STATUS_CODES)) {
      expect(entry.kind, `code ${code}`).toBe(intendedKind(Number(code)));
      expect(entry.reason.length, `code ${code}`).toBeGreaterThan(10);
    }
  });

  it.each([...TIKTOK_ERROR_MESSAGES.keys()])('maps statusCode %i to its intended class over real HTTP and by direct classification', async (code) => {
    const expected = CLASSES[intendedKind(code)];
    const overHttp = await failure(tikapi.checkUser(`err_${code}`));
    expect(overHttp).toBeInstanceOf(expected);
    expect(overHttp).toMatchObject({ httpStatus: 403, code: String(code), upstream: 'tikapi' });
    expect(overHttp.body).toMatchObject({ statusCode: code });

    const direct = classifyTikApiError(403, { status: 'error', message: 'x', statusCode: code }, {});
    expect(direct).toBeInstanceOf(expected);
  });

  it('maps statusCode 8 to SessionExpired even when it arrives on a 403', () => {
    expect(classifyTikApiError(403, { status: 'error', message: 'expired', statusCode: 8 })).toBeInstanceOf(SessionExpired);
  });

  it('treats unknown codes, code-less 403s and other 4xx as Permanent and 5xx as Transient', () => {
    expect(classifyTikApiError(403, { status: 'error', message: 'new', statusCode: 99999 })).toBeInstanceOf(Permanent);
    expect(classifyTikApiError(403, { status: 'error', message: 'Something went wrong.' })).toBeInstanceOf(Permanent);
    expect(classifyTikApiError(400, { status: 'error', message: 'Missing fields.', fields: { count: 'bad' } })).toBeInstanceOf(Permanent);
    expect(classifyTikApiError(401, { status: 'error', message: 'A valid API Key is required.' })).toBeInstanceOf(Permanent);
    expect(classifyTikApiError(404, undefined)).toBeInstanceOf(Permanent);
    expect(classifyTikApiError(418, 'teapot')).toBeInstanceOf(Permanent);
    expect(classifyTikApiError(500, { status: 'error', message: 'boom' })).toBeInstanceOf(Transient);
    expect(classifyTikApiError(503, '<html>')).toBeInstanceOf(Transient);
    expect(classifyTikApiError(428, { statusCode: 8 })).toBeInstanceOf(SessionExpired);
  });
});

describe('posting API classification', () => {
  it('separates an expired account token from a bad API key', () => {
    expect(classifyPostingError(401, { success: false, error: 'x', code: 'access_token_invalid' })).toBeInstanceOf(SessionExpired);
    expect(classifyPostingError(401, { success: false, error: 'x', code: 'invalid_api_key' })).toBeInstanceOf(Permanent);
  });

  it('treats a 504 on the publish POST as Ambiguous and on reads as Transient', () => {
    expect(classifyPostingError(504, undefined, {}, { idempotent: false })).toBeInstanceOf(Ambiguous);
    expect(classifyPostingError(504, undefined, {}, { idempotent: true })).toBeInstanceOf(Transient);
    expect(classifyPostingError(500, undefined, {}, { idempotent: false })).toBeInstanceOf(Transient);
  });

  it('charges a 429 to the scope it is given', () => {
    const scope = accountScope('publish', 'acct_1');
    const error = classifyPostingError(429, { success: false, error: 'Rate limit exceeded', code: 'rate_limit_exceeded' }, { 'retry-after': '7' }, { scope });
    expect(error).toBeInstanceOf(RateLimited);
    expect(error).toMatchObject({ retryAfterMs: 7000, scope, code: 'rate_limit_exceeded' });
  });
});

describe('parseRetryAfterMs', () => {
  const now = Date.parse('2025-01-01T00:00:00Z');

  it('prefers X-RateLimit-Reset-Ms over Retry-After', () => {
    expect(parseRetryAfterMs({ 'Retry-After': '1', 'X-RateLimit-Reset-Ms': '137' }, 1000, now)).toBe(137);
  });

  it('reads Retry-After as seconds or as an HTTP-date', () => {
    expect(parseRetryAfterMs({ 'retry-after': '3' }, 1000, now)).toBe(3000);
    expect(parseRetryAfterMs({ 'retry-after': 'Wed, 01 Jan 2025 00:00:05 GMT' }, 1000, now)).toBe(5000);
    expect(parseRetryAfterMs({ 'retry-after': 'Tue, 31 Dec 2024 23:59:00 GMT' }, 1000, now)).toBe(0);
  });

  it('reads an epoch timestamp under X-RateLimit-Reset-Ms as a deadline', () => {
    expect(parseRetryAfterMs({ 'x-ratelimit-reset-ms': String(now + 250) }, 1000, now)).toBe(250);
  });

  it('falls back to the configured default when no header is usable', () => {
    expect(parseRetryAfterMs({}, 1234, now)).toBe(1234);
    expect(parseRetryAfterMs({ 'retry-after': 'soon' }, 1234, now)).toBe(1234);
  });
});

describe('computeBackoffMs', () => {
  it('draws from [0, min(max, base·2^attempt)]', () => {
    expect(computeBackoffMs(0, { baseMs: 100, maxMs: 10_000 }, () => 0)).toBe(0);
    expect(computeBackoffMs(3, { baseMs: 100, maxMs: 10_000 }, () => 0.999_999)).toBe(800);
    expect(computeBackoffMs(30, { baseMs: 100, maxMs: 10_000 }, () => 0.999_999)).toBe(10_000);
    for (let attempt = 0; attempt < 12; attempt++) {
      const value = computeBackoffMs(attempt, { baseMs: 50, maxMs: 5_000 });
      expect(value).toBeGreaterThanOrEqual(0);
      expect(value).toBeLessThanOrEqual(Math.min(5_000, 50 * 2 ** attempt));
    }
  });
});
