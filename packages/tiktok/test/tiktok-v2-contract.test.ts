import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { startSandbox, type RunningSandbox } from '@pubcrawl/sandbox';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
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
  verifyTikTokSignature,
  type TikTokTokens,
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

async function connect(): Promise<TikTokTokens> {
  const pkce = createPkcePair();
  const callback = await approve(client.authorizeUrl({ state: 'state-1', codeChallenge: pkce.codeChallenge, scopes: SCOPES, redirectUri: REDIRECT }));
  return client.exchangeCode({ code: callback.searchParams.get('code') ?? '', codeVerifier: pkce.codeVerifier, redirectUri: REDIRECT });
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
