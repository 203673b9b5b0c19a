import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { startSandbox, type RunningSandbox, type TikTokV2ErrorCode } from '@pubcrawl/sandbox';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import {
  chunkSpans,
  createPkcePair,
  DailyCapReached,
  Permanent,
  planChunks,
  RateLimited,
  SessionExpired,
  tiktokLogId,
  tiktokTokenScope,
  TikTokV2Client,
  toError,
  UpstreamError,
  verifyTikTokSignature,
  type TikTokCreatorInfo,
  type TikTokPhotoPostInput,
  type TikTokTokens,
  type TikTokV2User,
  type TikTokV2VideoPage,
  type UpstreamErrorKind,
} from '../src/index';

const REDIRECT = 'https://app.example.test/v1/oauth/tiktok/callback';
const SCOPES = ['user.info.basic', 'video.publish', 'video.upload', 'video.list'];

let sandbox: RunningSandbox;
let client: TikTokV2Client;
let now = 0;

beforeAll(async () => {
  sandbox = await startSandbox({ port: 0, now: () => now, config: { publishDurationMs: 1_000 } });
  client = new TikTokV2Client({ baseUrl: sandbox.url, authUrl: sandbox.url, clientKey: 'sbx_client_key', clientSecret: 'sbx_client_secret' });
});
afterAll(async () => {
  await client.close();
  await sandbox.close();
});
beforeEach(() => {
  sandbox.reset();
  now = 0;
});

async function rejection(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise;
  } catch (e) {
    return toError(e);
  }
  throw new Error('expected a rejection');
}

/** The browser's part: follow the authorize URL to its redirect and read the callback query. */
async function approve(url: string): Promise<URL> {
  const response = await fetch(url, { redirect: 'manual' });
  expect(response.status).toBe(302);
  return new URL(response.headers.get('location') ?? '');
}

async function connect(scopes: readonly string[] = SCOPES): Promise<TikTokTokens> {
  const pkce = createPkcePair();
  const callback = await approve(client.authorizeUrl({ state: 'state-1', codeChallenge: pkce.codeChallenge, scopes, redirectUri: REDIRECT }));
  return client.exchangeCode({ code: callback.searchParams.get('code') ?? '', codeVerifier: pkce.codeVerifier, redirectUri: REDIRECT });
}

async function upstreamRejection(promise: Promise<unknown>): Promise<UpstreamError> {
  const error = await rejection(promise);
  if (!(error instanceof UpstreamError)) throw error;
  return error;
}

async function admin(method: 'POST' | 'PUT', path: string, body: unknown): Promise<void> {
  const response = await fetch(`${sandbox.url}/__sandbox/tiktok${path}`, { method, headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  expect(response.status).toBe(200);
}

const photoUrls = ['https://cdn.example.com/1.jpg', 'https://cdn.example.com/2.jpg', 'https://cdn.example.com/3.jpg'];
const photoPost = (postMode: TikTokPhotoPostInput['postMode'], privacyLevel: 'SELF_ONLY' | 'PUBLIC_TO_EVERYONE' = 'SELF_ONLY'): TikTokPhotoPostInput => ({
  postInfo: { title: 'three photos', description: 'a carousel #fyp', privacyLevel, disableComment: false, autoAddMusic: true },
  photoUrls,
  coverIndex: 1,
  postMode,
});
const pullVideo = (title: string, privacyLevel: 'SELF_ONLY' | 'PUBLIC_TO_EVERYONE' = 'SELF_ONLY') =>
  ({ postInfo: { title, privacyLevel }, source: { source: 'PULL_FROM_URL', videoUrl: 'https://cdn.example.com/a.mp4' } }) as const;

// Shape checks shared by the sandbox tests and the live block, so both hold the client to one contract.
function expectUser(user: TikTokV2User): void {
  expect(user).toMatchObject({ open_id: expect.any(String), display_name: expect.any(String) });
}

function expectCreatorInfo(info: TikTokCreatorInfo): void {
  expect(info).toMatchObject({ creator_username: expect.any(String), privacy_level_options: expect.any(Array), max_video_post_duration_sec: expect.any(Number) });
  expect(info.privacy_level_options.length).toBeGreaterThan(0);
}

function expectVideoPage(page: TikTokV2VideoPage): void {
  expect(page).toMatchObject({ videos: expect.any(Array), cursor: expect.any(Number), hasMore: expect.any(Boolean) });
  expect(page.videos.length).toBeLessThanOrEqual(20);
  for (const video of page.videos) {
    expect(video).toMatchObject({ id: expect.stringMatching(/^\d+$/), title: expect.any(String), description: expect.any(String), createTime: expect.any(Number) });
    // Seconds, not milliseconds: after 2016 and not in the far future.
    expect(video.createTime).toBeGreaterThan(1_450_000_000);
    expect(video.createTime).toBeLessThan(10_000_000_000);
  }
  const times = page.videos.map((video) => video.createTime);
  expect(times).toEqual([...times].sort((a, b) => b - a));
}

describe('TikTokV2Client against the sandbox', () => {
  it('connects with PKCE, computes both expiry instants, and reads the user', async () => {
    const before = Date.now();
    const tokens = await connect();
    expect(tokens.openId).toBe('sbx_open_creator_1');
    expect(tokens.scopes).toEqual(SCOPES);
    expect(tokens.accessExpiresAt - before).toBeGreaterThanOrEqual(86_400_000);
    expect(tokens.refreshExpiresAt - tokens.accessExpiresAt).toBe((31_536_000 - 86_400) * 1000);
    expect(await client.userInfo(tokens.accessToken)).toMatchObject({ open_id: tokens.openId, username: 'creator_1' });
  });

  it('reads the user and creator_info in the shapes the live checks assert', async () => {
    const tokens = await connect();
    expectUser(await client.userInfo(tokens.accessToken));
    expectCreatorInfo((await client.creatorInfo(tokens.accessToken)).info);
  });

  it('refuses a code exchanged with the wrong verifier', async () => {
    const pkce = createPkcePair();
    const callback = await approve(client.authorizeUrl({ state: 's', codeChallenge: pkce.codeChallenge, scopes: SCOPES, redirectUri: REDIRECT }));
    const error = await rejection(client.exchangeCode({ code: callback.searchParams.get('code') ?? '', codeVerifier: createPkcePair().codeVerifier, redirectUri: REDIRECT }));
    expect(error).toBeInstanceOf(Permanent);
    expect((error as Permanent).code).toBe('invalid_request');
  });

  it('rotates on refresh: the new pair works and the old refresh token is SessionExpired(invalid_grant)', async () => {
    const first = await connect();
    const second = await client.refresh(first.refreshToken);
    expect(second.refreshToken).not.toBe(first.refreshToken);
    expect((await client.creatorInfo(second.accessToken)).info.creator_username).toBe('creator_1');
    const error = await rejection(client.refresh(first.refreshToken));
    expect(error).toBeInstanceOf(SessionExpired);
    expect((error as SessionExpired).code).toBe('invalid_grant');
    expect(tiktokLogId(error as SessionExpired)).toEqual(expect.any(String));
  });

  it('maps an expired access token to SessionExpired(access_token_invalid), which a refresh cures', async () => {
    const tokens = await connect();
    await fetch(`${sandbox.url}/__sandbox/tiktok/users/${tokens.openId}/expire-access-token`, { method: 'POST' });
    const error = await rejection(client.creatorInfo(tokens.accessToken));
    expect(error).toBeInstanceOf(SessionExpired);
    expect((error as SessionExpired).code).toBe('access_token_invalid');
    const fresh = await client.refresh(tokens.refreshToken);
    await expect(client.creatorInfo(fresh.accessToken)).resolves.toMatchObject({ info: { privacy_level_options: expect.any(Array) } });
  });

  it('refuses PULL_FROM_URL from an unverified prefix as Permanent(url_ownership_unverified)', async () => {
    const tokens = await connect();
    const error = await rejection(
      client.initDirectPost(tokens.accessToken, { postInfo: { title: 'x', privacyLevel: 'SELF_ONLY' }, source: { source: 'PULL_FROM_URL', videoUrl: 'https://unverified.example.org/a.mp4' } }),
    );
    expect(error).toBeInstanceOf(Permanent);
    expect((error as Permanent).code).toBe('url_ownership_unverified');
  });

  it('uploads a 70 MB file in the planned chunks and follows the status to PUBLISH_COMPLETE', async () => {
    sandbox.configure({ tiktokAudited: true });
    const tokens = await connect();
    const size = 70_000_123;
    const init = await client.initDirectPost(tokens.accessToken, { postInfo: { title: 'big', privacyLevel: 'PUBLIC_TO_EVERYONE' }, source: { source: 'FILE_UPLOAD', videoSize: size } });
    expect(init.chunkPlan).toEqual({ videoSize: size, chunkSize: 10_000_000, totalChunkCount: 7 });
    async function* media() {
      // 1 MB pieces that straddle chunk boundaries, as a streamed download would.
      for (let sent = 0; sent < size; sent += 1_000_000) yield new Uint8Array(Math.min(1_000_000, size - sent));
    }
    await client.uploadChunks(init.uploadUrl ?? '', init.chunkPlan ?? planChunks(size), media());
    expect((await client.fetchStatus(tokens.accessToken, init.publishId)).status).toBe('PROCESSING_UPLOAD');
    now += 1_000;
    const done = await client.fetchStatus(tokens.accessToken, init.publishId);
    expect(done).toMatchObject({ status: 'PUBLISH_COMPLETE', postIds: [expect.stringMatching(/^\d{19}$/)] });
  });

  it('ends an inbox upload in SEND_TO_USER_INBOX', async () => {
    const tokens = await connect();
    const init = await client.initInboxPost(tokens.accessToken, { source: { source: 'PULL_FROM_URL', videoUrl: 'https://cdn.example.com/draft.mp4' } });
    now += 1_000;
    expect((await client.fetchStatus(tokens.accessToken, init.publishId)).status).toBe('SEND_TO_USER_INBOX');
  });

  it('throws RateLimited with the per-token scope on the 7th init in a minute', async () => {
    const tokens = await connect();
    const post = () => client.initDirectPost(tokens.accessToken, { postInfo: { privacyLevel: 'SELF_ONLY' }, source: { source: 'PULL_FROM_URL', videoUrl: 'https://cdn.example.com/a.mp4' } });
    for (let i = 0; i < 6; i++) await post();
    const error = await rejection(post());
    expect(error).toBeInstanceOf(RateLimited);
    expect((error as RateLimited).scope).toEqual(tiktokTokenScope('publish', tokens.accessToken));
    expect((error as RateLimited).retryAfterMs).toBe(60_000);
  });

  it('maps spam_risk_too_many_posts to DailyCapReached and unaudited public posts to Permanent', async () => {
    sandbox.configure({ dailyPostCap: 0 });
    const tokens = await connect();
    const source = { source: 'PULL_FROM_URL' as const, videoUrl: 'https://cdn.example.com/a.mp4' };
    expect(await rejection(client.initDirectPost(tokens.accessToken, { postInfo: { privacyLevel: 'SELF_ONLY' }, source }))).toBeInstanceOf(DailyCapReached);
    const unaudited = await rejection(client.initDirectPost(tokens.accessToken, { postInfo: { privacyLevel: 'PUBLIC_TO_EVERYONE' }, source }));
    expect(unaudited).toBeInstanceOf(Permanent);
    expect((unaudited as Permanent).code).toBe('unaudited_client_can_only_post_to_private_accounts');
  });
});

describe('TikTokV2Client photo posts against the sandbox', () => {
  it('posts a carousel directly, follows it to PUBLISH_COMPLETE, and finds it in the video list by the same id', async () => {
    sandbox.configure({ tiktokAudited: true });
    const tokens = await connect();
    const init = await client.initPhotoPost(tokens.accessToken, photoPost('DIRECT_POST', 'PUBLIC_TO_EVERYONE'));
    expect(init).toMatchObject({ publishId: expect.any(String) });
    expect(init.uploadUrl).toBeUndefined();
    expect((await client.fetchStatus(tokens.accessToken, init.publishId)).status).toBe('PROCESSING_DOWNLOAD');
    now += 1_000;
    const done = await client.fetchStatus(tokens.accessToken, init.publishId);
    expect(done).toMatchObject({ status: 'PUBLISH_COMPLETE', postIds: [expect.stringMatching(/^\d{19}$/)] });
    const page = await client.listVideos(tokens.accessToken);
    expectVideoPage(page);
    expect(page.videos).toEqual([
      {
        id: done.postIds[0],
        title: 'three photos',
        description: 'a carousel #fyp',
        createTime: expect.any(Number),
        shareUrl: `https://www.tiktok.com/@creator_1/photo/${done.postIds[0]}`,
        coverImageUrl: expect.any(String),
        durationSec: 0,
      },
    ]);
  });

  it('sends a MEDIA_UPLOAD carousel to the inbox (SEND_TO_USER_INBOX), and it is not listed as a video', async () => {
    const tokens = await connect();
    const init = await client.initPhotoPost(tokens.accessToken, { ...photoPost('MEDIA_UPLOAD'), postInfo: { description: 'draft' } });
    expect((await client.fetchStatus(tokens.accessToken, init.publishId)).status).toBe('PROCESSING_DOWNLOAD');
    now += 1_000;
    expect((await client.fetchStatus(tokens.accessToken, init.publishId)).status).toBe('SEND_TO_USER_INBOX');
    expect((await client.listVideos(tokens.accessToken)).videos).toEqual([]);
  });

  it('shares the 6 inits a minute with the video inits, and counts each photo init in the stats', async () => {
    const tokens = await connect();
    for (let i = 0; i < 3; i++) await client.initDirectPost(tokens.accessToken, pullVideo(`v${i}`));
    for (let i = 0; i < 3; i++) await client.initPhotoPost(tokens.accessToken, photoPost('DIRECT_POST'));
    const error = await upstreamRejection(client.initPhotoPost(tokens.accessToken, photoPost('DIRECT_POST')));
    expect(error).toBeInstanceOf(RateLimited);
    expect((error as RateLimited).scope).toEqual(tiktokTokenScope('publish', tokens.accessToken));
    const counts = sandbox.stats().publishes.filter((entry) => entry.accountId === tokens.openId).map((entry) => entry.count);
    expect(counts.sort()).toEqual([1, 1, 1, 3]);
  });

  it('refuses what TikTok would refuse without sending it, as Permanent(invalid_params)', async () => {
    const tokens = await connect();
    const refusals: TikTokPhotoPostInput[] = [
      { ...photoPost('DIRECT_POST'), photoUrls: [] },
      { ...photoPost('DIRECT_POST'), photoUrls: Array.from({ length: 36 }, (_, i) => `https://cdn.example.com/${i}.jpg`) },
      { ...photoPost('DIRECT_POST'), coverIndex: 3 },
      { ...photoPost('DIRECT_POST'), postInfo: { title: 'no privacy' } },
      { ...photoPost('DIRECT_POST'), postInfo: { title: 'x'.repeat(91), privacyLevel: 'SELF_ONLY' } },
    ];
    for (const input of refusals) {
      const error = await upstreamRejection(client.initPhotoPost(tokens.accessToken, input));
      expect(error).toBeInstanceOf(Permanent);
      expect(error.code).toBe('invalid_params');
      expect(error.httpStatus).toBeUndefined();
    }
    expect(sandbox.stats().requests.byEndpoint['POST /v2/post/publish/content/init/']).toBeUndefined();
  });

  it('refuses an unverified photo URL as Permanent(url_ownership_unverified)', async () => {
    const tokens = await connect();
    const error = await upstreamRejection(client.initPhotoPost(tokens.accessToken, { ...photoPost('DIRECT_POST'), photoUrls: [...photoUrls.slice(0, 2), 'https://unverified.example.org/3.jpg'] }));
    expect(error).toBeInstanceOf(Permanent);
    expect(error).toMatchObject({ code: 'url_ownership_unverified', httpStatus: 403 });
  });
});

describe('TikTokV2Client photo init without a clear answer', () => {
  let server: Server;
  let mode: 'gateway-timeout' | 'drop' | 'unreadable' | 'token-unreadable' = 'gateway-timeout';
  let stranded: TikTokV2Client;

  beforeAll(async () => {
    server = createServer((request, response) => {
      request.resume();
      request.on('end', () => {
        if (mode === 'drop') response.socket?.destroy();
        else if (mode === 'unreadable') response.writeHead(200, { 'content-type': 'application/json' }).end('{"data":{},"error":{"code":"ok"}}');
        else if (mode === 'token-unreadable') response.writeHead(200, { 'content-type': 'application/json' }).end('{"access_token":"act.secret","refresh_token":"rft.secret"}');
        else response.writeHead(504, { 'content-type': 'text/html' }).end('<html>504 Gateway Time-out</html>');
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    stranded = new TikTokV2Client({ baseUrl: origin, authUrl: origin, clientKey: 'k', clientSecret: 's' });
  });
  afterAll(async () => {
    await stranded.close();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  it('makes a 504 and a dropped connection Ambiguous: the carousel may have been posted', async () => {
    mode = 'gateway-timeout';
    const timedOut = await upstreamRejection(stranded.initPhotoPost('act.x', photoPost('DIRECT_POST')));
    expect(timedOut.kind).toBe('Ambiguous');
    expect(timedOut.httpStatus).toBe(504);
    mode = 'drop';
    expect((await upstreamRejection(stranded.initPhotoPost('act.x', photoPost('MEDIA_UPLOAD')))).kind).toBe('Ambiguous');
    // The same failures on the idempotent video list are only Transient.
    mode = 'gateway-timeout';
    expect((await upstreamRejection(stranded.listVideos('act.x'))).kind).toBe('Transient');
  });

  it('makes a 2xx init whose body cannot be read Ambiguous: TikTok accepted something', async () => {
    mode = 'unreadable';
    const unreadable = await upstreamRejection(stranded.initDirectPost('act.x', { postInfo: { privacyLevel: 'SELF_ONLY' }, source: { source: 'PULL_FROM_URL', videoUrl: 'https://cdn.example.com/a.mp4' } }));
    expect(unreadable.kind).toBe('Ambiguous');
    expect(unreadable.code).toBe('invalid_response');
  });

  it('keeps the tokens out of the error of a token answer it cannot read', async () => {
    mode = 'token-unreadable';
    const refused = await upstreamRejection(stranded.refresh('rft.old'));
    expect(JSON.stringify(refused.body)).not.toContain('secret');
    expect(refused.message).not.toContain('secret');
  });
});

describe('TikTokV2Client video list against the sandbox', () => {
  it('pages the user\'s own videos newest first with the cursor, sandbox publishes included', async () => {
    sandbox.configure({ tiktokAudited: true });
    const tokens = await connect();
    const postIds: string[] = [];
    for (const title of ['oldest', 'middle', 'newest']) {
      const init = await client.initDirectPost(tokens.accessToken, pullVideo(title, 'PUBLIC_TO_EVERYONE'));
      now += 1_000;
      postIds.push((await client.fetchStatus(tokens.accessToken, init.publishId)).postIds[0] ?? '');
    }
    await client.initPhotoPost(tokens.accessToken, photoPost('DIRECT_POST'));
    now += 1_000;

    const first = await client.listVideos(tokens.accessToken, { maxCount: 2 });
    expectVideoPage(first);
    expect(first.videos.map((video) => video.title)).toEqual(['three photos', 'newest']);
    expect(first.hasMore).toBe(true);
    expect(first.videos[1]).toMatchObject({ id: postIds[2], description: 'newest', durationSec: 15, shareUrl: `https://www.tiktok.com/@creator_1/video/${postIds[2]}` });

    const second = await client.listVideos(tokens.accessToken, { maxCount: 2, cursor: first.cursor });
    expectVideoPage(second);
    expect(second.videos.map((video) => video.id)).toEqual([postIds[1], postIds[0]]);
    expect(second.hasMore).toBe(false);
    expect((await client.listVideos(tokens.accessToken, { cursor: second.cursor })).videos).toEqual([]);
  });

  it('maps a token without video.list to SessionExpired(scope_not_authorized)', async () => {
    const tokens = await connect(['user.info.basic', 'video.publish']);
    const error = await upstreamRejection(client.listVideos(tokens.accessToken));
    expect(error).toBeInstanceOf(SessionExpired);
    expect(error).toMatchObject({ code: 'scope_not_authorized', httpStatus: 401 });
    expect(tiktokLogId(error)).toEqual(expect.any(String));
  });

  it('refuses a maxCount outside 1..20 before sending', async () => {
    const tokens = await connect();
    await expect(client.listVideos(tokens.accessToken, { maxCount: 21 })).rejects.toBeInstanceOf(RangeError);
    await expect(client.listVideos(tokens.accessToken, { maxCount: 0 })).rejects.toBeInstanceOf(RangeError);
  });
});

/** Every code the issue names, the status the sandbox answers it with, and the class the worker acts on. */
const INJECTED: Array<{ code: TikTokV2ErrorCode; status: number; kind: UpstreamErrorKind }> = [
  { code: 'access_token_invalid', status: 401, kind: 'SessionExpired' },
  { code: 'scope_not_authorized', status: 401, kind: 'SessionExpired' },
  { code: 'rate_limit_exceeded', status: 429, kind: 'RateLimited' },
  { code: 'spam_risk_too_many_posts', status: 403, kind: 'DailyCapReached' },
  { code: 'spam_risk_too_many_pending_share', status: 403, kind: 'DailyCapReached' },
  { code: 'spam_risk_user_banned_from_posting', status: 403, kind: 'Permanent' },
  { code: 'reached_active_user_cap', status: 403, kind: 'RateLimited' },
  { code: 'unaudited_client_can_only_post_to_private_accounts', status: 403, kind: 'Permanent' },
  { code: 'privacy_level_option_mismatch', status: 400, kind: 'Permanent' },
  { code: 'url_ownership_unverified', status: 403, kind: 'Permanent' },
  { code: 'internal_error', status: 500, kind: 'Transient' },
];

const INJECTED_CALLS = {
  content_init: { call: (token: string) => client.initPhotoPost(token, photoPost('DIRECT_POST')), bucket: 'publish' },
  video_init: { call: (token: string) => client.initDirectPost(token, pullVideo('t')), bucket: 'publish' },
  video_list: { call: (token: string) => client.listVideos(token), bucket: 'status' },
  creator_info: { call: (token: string) => client.creatorInfo(token), bucket: 'creatorInfo' },
} as const;

describe.each(Object.keys(INJECTED_CALLS) as Array<keyof typeof INJECTED_CALLS>)('an injected error on %s', (endpoint) => {
  it.each(INJECTED)('$code → $kind', async ({ code, status, kind }) => {
    const tokens = await connect();
    await admin('POST', '/errors', { endpoint, code, count: 1 });
    const { call, bucket } = INJECTED_CALLS[endpoint];
    const error = await upstreamRejection(call(tokens.accessToken));
    expect(error.kind).toBe(kind);
    expect(error).toMatchObject({ code, httpStatus: status, upstream: 'tiktok' });
    expect(tiktokLogId(error)).toMatch(/^2025[0-9A-F]{26}$/);
    expect(error.message).toContain(`log_id ${tiktokLogId(error)}`);
    if (code === 'rate_limit_exceeded') expect((error as RateLimited).scope).toEqual(tiktokTokenScope(bucket, tokens.accessToken));
    if (code === 'reached_active_user_cap') {
      expect((error as RateLimited).scope).toEqual(client.appScope);
      expect((error as RateLimited).retryAfterMs).toBeLessThanOrEqual(86_400_000);
    }
    // Used up: the next call is answered normally.
    await expect(call(tokens.accessToken)).resolves.toBeDefined();
  });
});

const liveEnv = z
  .object({ TIKTOK_LIVE_ACCESS_TOKEN: z.string().optional(), TIKTOK_LIVE_BASE_URL: z.url().optional() })
  .parse({ TIKTOK_LIVE_ACCESS_TOKEN: process.env.TIKTOK_LIVE_ACCESS_TOKEN, TIKTOK_LIVE_BASE_URL: process.env.TIKTOK_LIVE_BASE_URL || undefined });
const liveToken = liveEnv.TIKTOK_LIVE_ACCESS_TOKEN || undefined;

// Read-only: nothing here posts, so it is safe against a real account. The token needs
// user.info.basic, video.publish (creator_info) and video.list.
describe.skipIf(liveToken === undefined)('live TikTok API (set TIKTOK_LIVE_ACCESS_TOKEN to run)', () => {
  const token = liveToken ?? '';
  let live: TikTokV2Client;

  beforeAll(() => {
    const baseUrl = liveEnv.TIKTOK_LIVE_BASE_URL ?? 'https://open.tiktokapis.com';
    // Client credentials are only sent to the token endpoint, which these checks never call.
    live = new TikTokV2Client({ baseUrl, authUrl: 'https://www.tiktok.com', clientKey: 'live-read-only', clientSecret: 'unused' });
  });
  afterAll(() => live.close());

  it('reads the user info', async () => {
    expectUser(await live.userInfo(token));
  });

  it('reads creator_info', async () => {
    expectCreatorInfo((await live.creatorInfo(token)).info);
  });

  it('reads the first page of the video list', async () => {
    expectVideoPage(await live.listVideos(token, { maxCount: 5 }));
  });
});

describe('verifyTikTokSignature on sandbox deliveries', () => {
  let receiver: Server;
  let url = '';
  const received: Array<{ header: string | undefined; body: Buffer }> = [];

  beforeAll(async () => {
    receiver = createServer((request, response) => {
      const parts: Buffer[] = [];
      request.on('data', (part: Buffer) => parts.push(part));
      request.on('end', () => {
        const header = request.headers['tiktok-signature'];
        received.push({ header: typeof header === 'string' ? header : undefined, body: Buffer.concat(parts) });
        response.writeHead(200).end();
      });
    });
    await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/`;
  });
  afterAll(() => new Promise<void>((resolve) => receiver.close(() => resolve())));

  it('accepts a delivery, and refuses it tampered, under another secret, or stale', async () => {
    await fetch(`${sandbox.url}/__sandbox/tiktok/webhook`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ url }) });
    const tokens = await connect();
    await client.initDirectPost(tokens.accessToken, { postInfo: { privacyLevel: 'SELF_ONLY' }, source: { source: 'PULL_FROM_URL', videoUrl: 'https://cdn.example.com/a.mp4' } });
    now += 1_000;
    await fetch(`${sandbox.url}/__sandbox/tiktok/webhook/flush`, { method: 'POST' });
    const delivery = received.at(-1);
    expect(delivery).toBeDefined();
    const { header, body } = delivery ?? { header: undefined, body: Buffer.alloc(0) };
    const check = verifyTikTokSignature('sbx_client_secret', header, body);
    expect(check.ok).toBe(true);
    expect(verifyTikTokSignature('sbx_client_secret', header, Buffer.from(body.toString().replace('DIRECT_PUBLISH', 'INBOX_SHARE')))).toEqual({ ok: false, reason: 'mismatch' });
    expect(verifyTikTokSignature('another_secret', header, body)).toEqual({ ok: false, reason: 'mismatch' });
    expect(verifyTikTokSignature('sbx_client_secret', header, body, { now: Date.now() + 301_000 })).toEqual({ ok: false, reason: 'stale' });
    expect(verifyTikTokSignature('sbx_client_secret', 'garbage', body)).toEqual({ ok: false, reason: 'malformed' });
  });
});

describe('planChunks', () => {
  it('sends files up to 64,000,000 bytes whole and cuts larger ones by floor(size / chunk)', () => {
    expect(planChunks(1_234)).toEqual({ videoSize: 1_234, chunkSize: 1_234, totalChunkCount: 1 });
    expect(planChunks(64_000_000)).toEqual({ videoSize: 64_000_000, chunkSize: 64_000_000, totalChunkCount: 1 });
    const plan = planChunks(150_000_000);
    expect(plan).toEqual({ videoSize: 150_000_000, chunkSize: 10_000_000, totalChunkCount: 15 });
    const spans = chunkSpans(planChunks(50_000_123 + 64_000_000));
    expect(spans.at(-1)?.end).toBe(50_000_123 + 64_000_000 - 1);
    expect(spans.reduce((sum, span) => sum + span.length, 0)).toBe(114_000_123);
  });

  it('grows the chunk to stay within 1000 chunks', () => {
    const plan = planChunks(20_000_000_000);
    expect(plan.totalChunkCount).toBeLessThanOrEqual(1000);
    expect(plan.chunkSize).toBe(20_000_000);
  });
});
