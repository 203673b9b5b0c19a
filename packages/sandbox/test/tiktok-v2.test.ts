import { createHash, createHmac } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startSandbox, type RunningSandbox } from '../src/index';

const CLIENT_KEY = 'sbx_client_key';
const CLIENT_SECRET = 'sbx_client_secret';
const REDIRECT = 'https://app.example.test/oauth/tiktok/callback';
const MIB = 1024 * 1024;

let sandbox: RunningSandbox;
let now = 0;
const wall = 1_750_000_000_000;

beforeAll(async () => {
  sandbox = await startSandbox({ port: 0, now: () => now, clock: () => wall, config: { publishDurationMs: 1_000 } });
});
afterAll(() => sandbox.close());
beforeEach(() => {
  sandbox.reset();
  now = 0;
});

interface Answer {
  status: number;
  headers: Headers;
  body: any; // eslint-disable-line @typescript-eslint/no-explicit-any -- each test asserts the shape it expects
}

async function call(method: string, path: string, init: { token?: string; json?: unknown; form?: Record<string, string> } = {}): Promise<Answer> {
  const headers: Record<string, string> = {};
  if (init.token !== undefined) headers.authorization = `Bearer ${init.token}`;
  let body: string | undefined;
  if (init.json !== undefined) {
    headers['content-type'] = 'application/json';
    body = JSON.stringify(init.json);
  } else if (init.form !== undefined) {
    headers['content-type'] = 'application/x-www-form-urlencoded';
    body = new URLSearchParams(init.form).toString();
  }
  const response = await fetch(`${sandbox.url}${path}`, { method, headers, ...(body === undefined ? {} : { body }), redirect: 'manual' });
  const text = await response.text();
  return { status: response.status, headers: response.headers, body: text === '' ? undefined : JSON.parse(text) };
}

const verifier = 'a-verifier-that-is-long-enough-to-be-a-real-pkce-verifier-0123';
const challenge = createHash('sha256').update(verifier).digest('hex');

async function authorize(extra: Record<string, string> = {}): Promise<URL> {
  const query = new URLSearchParams({
    client_key: CLIENT_KEY,
    scope: 'user.info.basic,video.publish,video.upload',
    redirect_uri: REDIRECT,
    state: 'st-1',
    response_type: 'code',
    code_challenge: challenge,
    code_challenge_method: 'S256',
    ...extra,
  });
  const answer = await call('GET', `/v2/auth/authorize/?${query.toString()}`);
  expect(answer.status).toBe(302);
  return new URL(answer.headers.get('location') ?? '');
}

async function connect(user = 'creator_1', scope?: string) {
  const redirect = await authorize({ sandbox_user: user, ...(scope === undefined ? {} : { scope }) });
  const code = redirect.searchParams.get('code') ?? '';
  const answer = await call('POST', '/v2/oauth/token/', {
    form: { client_key: CLIENT_KEY, client_secret: CLIENT_SECRET, grant_type: 'authorization_code', code, redirect_uri: REDIRECT, code_verifier: verifier },
  });
  expect(answer.status).toBe(200);
  return answer.body as { access_token: string; refresh_token: string; open_id: string; expires_in: number; refresh_expires_in: number };
}

const selfOnly = (source: unknown) => ({ post_info: { title: 'hello #fyp', privacy_level: 'SELF_ONLY' }, source_info: source });
const pull = { source: 'PULL_FROM_URL', video_url: 'https://cdn.example.com/clip.mp4' };

describe('TikTok OAuth twin', () => {
  it('approves at once, and exchanges the code with a matching PKCE verifier for a Bearer pair', async () => {
    const redirect = await authorize();
    expect(redirect.origin + redirect.pathname).toBe(REDIRECT);
    expect(redirect.searchParams.get('state')).toBe('st-1');
    const code = redirect.searchParams.get('code') ?? '';
    const answer = await call('POST', '/v2/oauth/token/', {
      form: { client_key: CLIENT_KEY, client_secret: CLIENT_SECRET, grant_type: 'authorization_code', code, redirect_uri: REDIRECT, code_verifier: verifier },
    });
    expect(answer.body).toMatchObject({ open_id: 'sbx_open_creator_1', token_type: 'Bearer', expires_in: 86_400, refresh_expires_in: 31_536_000, scope: 'user.info.basic,video.publish,video.upload' });
  });

  it('refuses a wrong verifier, and the code is used up by the refused attempt', async () => {
    const code = (await authorize()).searchParams.get('code') ?? '';
    const form = { client_key: CLIENT_KEY, client_secret: CLIENT_SECRET, grant_type: 'authorization_code', code, redirect_uri: REDIRECT };
    const wrong = await call('POST', '/v2/oauth/token/', { form: { ...form, code_verifier: 'not-the-verifier' } });
    expect(wrong.status).toBe(400);
    expect(wrong.body).toMatchObject({ error: 'invalid_request', log_id: expect.any(String) });
    const replay = await call('POST', '/v2/oauth/token/', { form: { ...form, code_verifier: verifier } });
    expect(replay.body).toMatchObject({ error: 'invalid_grant' });
  });

  it('denies the next authorize when told to, and on sandbox_deny=1', async () => {
    await call('POST', '/__sandbox/tiktok/deny-next-authorize');
    const denied = await authorize();
    expect(denied.searchParams.get('error')).toBe('access_denied');
    expect(denied.searchParams.get('state')).toBe('st-1');
    expect(denied.searchParams.has('code')).toBe(false);
    expect((await authorize()).searchParams.has('code')).toBe(true);
    expect((await authorize({ sandbox_deny: '1' })).searchParams.get('error')).toBe('access_denied');
  });

  it('rotates refresh tokens: the new pair works, the old refresh token is invalid_grant', async () => {
    sandbox.configure({ tiktokAccessTtlS: 7_200, tiktokRefreshTtlS: 15_552_000 });
    const first = await connect();
    expect(first.expires_in).toBe(7_200);
    now += 1_000_000;
    const form = { client_key: CLIENT_KEY, client_secret: CLIENT_SECRET, grant_type: 'refresh_token' };
    const second = await call('POST', '/v2/oauth/token/', { form: { ...form, refresh_token: first.refresh_token } });
    expect(second.status).toBe(200);
    expect(second.body.refresh_token).not.toBe(first.refresh_token);
    // Dated from the first issuance: 1000 s of the refresh token's life are gone.
    expect(second.body.refresh_expires_in).toBe(15_552_000 - 1_000);
    const again = await call('POST', '/v2/oauth/token/', { form: { ...form, refresh_token: first.refresh_token } });
    expect(again.status).toBe(400);
    expect(again.body).toMatchObject({ error: 'invalid_grant', error_description: expect.any(String), log_id: expect.any(String) });
  });

  it('refuses a wrong client secret with invalid_client', async () => {
    const answer = await call('POST', '/v2/oauth/token/', { form: { client_key: CLIENT_KEY, client_secret: 'nope', grant_type: 'refresh_token', refresh_token: 'x' } });
    expect(answer.status).toBe(401);
    expect(answer.body.error).toBe('invalid_client');
  });

  it('expires access tokens by the clock and by the admin route, and revokes everything on revoke', async () => {
    const tokens = await connect();
    const info = () => call('GET', '/v2/user/info/?fields=open_id,display_name,username', { token: tokens.access_token });
    expect((await info()).body).toMatchObject({ data: { user: { open_id: tokens.open_id, username: 'creator_1' } }, error: { code: 'ok' } });
    expect((await call('POST', `/__sandbox/tiktok/users/${tokens.open_id}/expire-access-token`)).body).toEqual({ openId: tokens.open_id, expired: 1 });
    const expired = await info();
    expect(expired.status).toBe(401);
    expect(expired.body.error.code).toBe('access_token_invalid');

    const fresh = await connect();
    now += 86_400_000;
    expect((await call('GET', '/v2/user/info/?fields=open_id', { token: fresh.access_token })).status).toBe(401);

    await call('POST', `/__sandbox/tiktok/users/${fresh.open_id}/revoke`);
    const refresh = await call('POST', '/v2/oauth/token/', { form: { client_key: CLIENT_KEY, client_secret: CLIENT_SECRET, grant_type: 'refresh_token', refresh_token: fresh.refresh_token } });
    expect(refresh.body.error).toBe('invalid_grant');
  });
});

describe('TikTok content posting twin', () => {
  it('answers creator_info from the per-user override', async () => {
    const { access_token: token, open_id: openId } = await connect();
    await call('PUT', `/__sandbox/tiktok/creator-info/${openId}`, { json: { privacy_level_options: ['SELF_ONLY'], duet_disabled: true, max_video_post_duration_sec: 180 } });
    const answer = await call('POST', '/v2/post/publish/creator_info/query/', { token, json: {} });
    expect(answer.body).toMatchObject({
      data: { creator_username: 'creator_1', privacy_level_options: ['SELF_ONLY'], duet_disabled: true, comment_disabled: false, max_video_post_duration_sec: 180 },
      error: { code: 'ok', message: '' },
    });
  });

  it('refuses a token without the scope with scope_not_authorized', async () => {
    const { access_token: token } = await connect('creator_2', 'user.info.basic');
    const answer = await call('POST', '/v2/post/publish/video/init/', { token, json: selfOnly(pull) });
    expect(answer.status).toBe(401);
    expect(answer.body.error.code).toBe('scope_not_authorized');
  });

  it('enforces the chunk rules at init', async () => {
    const { access_token: token } = await connect();
    const init = (source: object) => call('POST', '/v2/post/publish/video/init/', { token, json: selfOnly({ source: 'FILE_UPLOAD', ...source }) });
    const refusals = [
      { video_size: 4 * MIB, chunk_size: 2 * MIB, total_chunk_count: 2 }, // under 5 MB goes whole
      { video_size: 100 * MIB, chunk_size: 4 * MIB, total_chunk_count: 25 }, // chunk under 5 MB
      { video_size: 200 * MIB, chunk_size: 65 * MIB, total_chunk_count: 3 }, // chunk over 64 MB
      { video_size: 50 * MIB, chunk_size: 10 * MIB, total_chunk_count: 4 }, // count must be floor(size/chunk)
      { video_size: 100 * MIB, chunk_size: 100 * MIB, total_chunk_count: 1 }, // over 64 MB needs several
      { video_size: 6_000 * MIB, chunk_size: 5 * MIB, total_chunk_count: 1_200 }, // over 1000 chunks
    ];
    for (const source of refusals) {
      const answer = await init(source);
      expect(answer.status, JSON.stringify(source)).toBe(400);
      expect(answer.body.error.code).toBe('invalid_params');
    }
    // Refused inits still count against the token's 6 a minute, as TikTok meters requests.
    now += 60_000;
    const accepted = await init({ video_size: 50 * MIB + 123, chunk_size: 10 * MIB, total_chunk_count: 5 });
    expect(accepted.status).toBe(200);
    expect(accepted.body.data.upload_url).toMatch(/\/upload\/video\/\?upload_id=/);
  });

  it('takes chunks only in order with a matching Content-Range, then processes and completes', async () => {
    const { access_token: token } = await connect();
    const size = 11 * MIB;
    const chunk = 5 * MIB;
    const answer = await call('POST', '/v2/post/publish/video/init/', { token, json: selfOnly({ source: 'FILE_UPLOAD', video_size: size, chunk_size: chunk, total_chunk_count: 2 }) });
    const { publish_id: publishId, upload_url: uploadUrl } = answer.body.data as { publish_id: string; upload_url: string };
    const put = (start: number, end: number) =>
      fetch(uploadUrl, { method: 'PUT', headers: { 'content-type': 'video/mp4', 'content-range': `bytes ${start}-${end}/${size}` }, body: new Uint8Array(end - start + 1) });
    expect((await put(chunk, size - 1)).status).toBe(416);
    const status = () => call('POST', '/v2/post/publish/status/fetch/', { token, json: { publish_id: publishId } });
    expect((await put(0, chunk - 1)).status).toBe(206);
    expect((await status()).body.data).toMatchObject({ status: 'PROCESSING_UPLOAD', uploaded_bytes: chunk });
    expect((await put(chunk, size - 1)).status).toBe(201);
    expect((await status()).body.data.status).toBe('PROCESSING_UPLOAD');
    now += 1_000;
    // SELF_ONLY: complete, but with no public post id.
    expect((await status()).body.data).toMatchObject({ status: 'PUBLISH_COMPLETE', publicaly_available_post_id: [] });
  });

  it('refuses PULL_FROM_URL outside the verified prefixes with url_ownership_unverified', async () => {
    const { access_token: token } = await connect();
    const answer = await call('POST', '/v2/post/publish/video/init/', { token, json: selfOnly({ source: 'PULL_FROM_URL', video_url: 'https://elsewhere.example.org/clip.mp4' }) });
    expect(answer.status).toBe(403);
    expect(answer.body.error).toMatchObject({ code: 'url_ownership_unverified', log_id: expect.any(String) });
  });

  it('lets an unaudited app post only SELF_ONLY, and checks privacy against creator_info', async () => {
    const { access_token: token, open_id: openId } = await connect();
    const publicPost = { post_info: { title: 't', privacy_level: 'PUBLIC_TO_EVERYONE' }, source_info: pull };
    expect((await call('POST', '/v2/post/publish/video/init/', { token, json: publicPost })).body.error.code).toBe('unaudited_client_can_only_post_to_private_accounts');
    sandbox.configure({ tiktokAudited: true });
    await call('PUT', `/__sandbox/tiktok/creator-info/${openId}`, { json: { privacy_level_options: ['SELF_ONLY', 'MUTUAL_FOLLOW_FRIENDS'] } });
    expect((await call('POST', '/v2/post/publish/video/init/', { token, json: publicPost })).body.error.code).toBe('privacy_level_option_mismatch');
  });

  it('walks a pull through PROCESSING_DOWNLOAD to PUBLISH_COMPLETE with the post id, and inbox uploads to SEND_TO_USER_INBOX', async () => {
    sandbox.configure({ tiktokAudited: true });
    const { access_token: token } = await connect();
    const direct = await call('POST', '/v2/post/publish/video/init/', { token, json: { post_info: { title: 't', privacy_level: 'PUBLIC_TO_EVERYONE' }, source_info: pull } });
    const inbox = await call('POST', '/v2/post/publish/inbox/video/init/', { token, json: { source_info: pull } });
    const failing = await call('POST', '/v2/post/publish/video/init/', { token, json: selfOnly({ source: 'PULL_FROM_URL', video_url: 'https://cdn.example.com/fail.mp4' }) });
    const status = async (answer: Answer) => (await call('POST', '/v2/post/publish/status/fetch/', { token, json: { publish_id: answer.body.data.publish_id } })).body.data;
    expect((await status(direct)).status).toBe('PROCESSING_DOWNLOAD');
    now += 1_000;
    expect(await status(direct)).toMatchObject({ status: 'PUBLISH_COMPLETE', publicaly_available_post_id: [expect.stringMatching(/^\d{19}$/)] });
    expect((await status(inbox)).status).toBe('SEND_TO_USER_INBOX');
    expect(await status(failing)).toMatchObject({ status: 'FAILED', fail_reason: 'file_format_check_failed' });
  });

  it('limits each access token to 6 inits a minute, and a second token has its own allowance', async () => {
    const first = await connect();
    const second = await connect();
    const init = (token: string) => call('POST', '/v2/post/publish/video/init/', { token, json: selfOnly(pull) });
    for (let i = 0; i < 6; i++) expect((await init(first.access_token)).status).toBe(200);
    const limited = await init(first.access_token);
    expect(limited.status).toBe(429);
    expect(limited.body.error.code).toBe('rate_limit_exceeded');
    expect(Number(limited.headers.get('x-ratelimit-reset-ms'))).toBe(60_000);
    expect((await init(second.access_token)).status).toBe(200);
    now += 60_000;
    expect((await init(first.access_token)).status).toBe(200);
  });

  it('answers injected errors, then goes back to normal', async () => {
    const { access_token: token } = await connect();
    await call('POST', '/__sandbox/tiktok/errors', { json: { endpoint: 'video_init', code: 'spam_risk_too_many_pending_share', count: 1 } });
    expect((await call('POST', '/v2/post/publish/video/init/', { token, json: selfOnly(pull) })).body.error.code).toBe('spam_risk_too_many_pending_share');
    expect((await call('POST', '/v2/post/publish/video/init/', { token, json: selfOnly(pull) })).status).toBe(200);
  });

  it('answers spam_risk_too_many_posts past the daily post cap', async () => {
    sandbox.configure({ dailyPostCap: 1 });
    const { access_token: token } = await connect();
    expect((await call('POST', '/v2/post/publish/video/init/', { token, json: selfOnly(pull) })).status).toBe(200);
    const capped = await call('POST', '/v2/post/publish/video/init/', { token, json: selfOnly(pull) });
    expect(capped.status).toBe(403);
    expect(capped.body.error.code).toBe('spam_risk_too_many_posts');
  });
});

const photos = (count: number) => Array.from({ length: count }, (_, i) => `https://cdn.example.com/p${i}.jpg`);
const photoPost = (mode: 'DIRECT_POST' | 'MEDIA_UPLOAD', overrides: { post_info?: object; source_info?: object } = {}) => ({
  media_type: 'PHOTO',
  post_mode: mode,
  post_info: { title: 'carousel', description: 'three photos #fyp', privacy_level: 'SELF_ONLY', ...overrides.post_info },
  source_info: { source: 'PULL_FROM_URL', photo_cover_index: 0, photo_images: photos(3), ...overrides.source_info },
});
const ALL_SCOPES = 'user.info.basic,video.publish,video.upload,video.list';
const LIST_FIELDS = 'id,title,video_description,create_time,share_url,cover_image_url,duration';

describe('TikTok photo posts twin', () => {
  it('walks a direct photo post to PUBLISH_COMPLETE and a MEDIA_UPLOAD one to SEND_TO_USER_INBOX', async () => {
    const { access_token: token } = await connect();
    const direct = await call('POST', '/v2/post/publish/content/init/', { token, json: photoPost('DIRECT_POST') });
    expect(direct.status).toBe(200);
    expect(direct.body).toMatchObject({ data: { publish_id: expect.any(String) }, error: { code: 'ok', log_id: expect.any(String) } });
    expect(direct.body.data.upload_url).toBeUndefined();
    const inbox = await call('POST', '/v2/post/publish/content/init/', { token, json: photoPost('MEDIA_UPLOAD', { post_info: { privacy_level: undefined } }) });
    expect(inbox.status).toBe(200);
    const status = async (answer: Answer) => (await call('POST', '/v2/post/publish/status/fetch/', { token, json: { publish_id: answer.body.data.publish_id } })).body.data;
    expect((await status(direct)).status).toBe('PROCESSING_DOWNLOAD');
    now += 1_000;
    expect(await status(direct)).toMatchObject({ status: 'PUBLISH_COMPLETE', publicaly_available_post_id: [] });
    expect((await status(inbox)).status).toBe('SEND_TO_USER_INBOX');
  });

  it('refuses bad photo bodies with invalid_params, unverified URLs, and privacy like a video', async () => {
    const { access_token: token, open_id: openId } = await connect();
    const init = (json: unknown) => call('POST', '/v2/post/publish/content/init/', { token, json });
    const invalid = [
      photoPost('DIRECT_POST', { source_info: { photo_images: [] } }),
      photoPost('DIRECT_POST', { source_info: { photo_images: photos(36) } }),
      photoPost('DIRECT_POST', { source_info: { photo_cover_index: 3 } }),
      photoPost('DIRECT_POST', { post_info: { privacy_level: undefined } }),
      photoPost('DIRECT_POST', { post_info: { title: 'x'.repeat(91) } }),
      { ...photoPost('DIRECT_POST'), media_type: 'VIDEO' },
    ];
    for (const body of invalid) {
      const answer = await init(body);
      expect(answer.status, JSON.stringify(body).slice(0, 200)).toBe(400);
      expect(answer.body.error).toMatchObject({ code: 'invalid_params', log_id: expect.any(String) });
      now += 10_000; // stay under the 6 inits a minute
    }
    now += 60_000;
    const unverified = await init(photoPost('DIRECT_POST', { source_info: { photo_images: [...photos(2), 'https://elsewhere.example.org/x.jpg'] } }));
    expect(unverified.status).toBe(403);
    expect(unverified.body.error.code).toBe('url_ownership_unverified');
    const unaudited = await init(photoPost('DIRECT_POST', { post_info: { privacy_level: 'PUBLIC_TO_EVERYONE' } }));
    expect(unaudited.status).toBe(403);
    expect(unaudited.body.error.code).toBe('unaudited_client_can_only_post_to_private_accounts');
    await call('PUT', `/__sandbox/tiktok/creator-info/${openId}`, { json: { privacy_level_options: ['PUBLIC_TO_EVERYONE'] } });
    const mismatch = await init(photoPost('DIRECT_POST'));
    expect(mismatch.status).toBe(400);
    expect(mismatch.body.error.code).toBe('privacy_level_option_mismatch');
  });

  it('needs video.publish for DIRECT_POST and video.upload for MEDIA_UPLOAD', async () => {
    const { access_token: uploadOnly } = await connect('creator_3', 'user.info.basic,video.upload');
    const direct = await call('POST', '/v2/post/publish/content/init/', { token: uploadOnly, json: photoPost('DIRECT_POST') });
    expect(direct.status).toBe(401);
    expect(direct.body.error.code).toBe('scope_not_authorized');
    expect((await call('POST', '/v2/post/publish/content/init/', { token: uploadOnly, json: photoPost('MEDIA_UPLOAD') })).status).toBe(200);
  });

  it('shares the 6 inits a minute with video inits, and counts photo inits in the stats per post', async () => {
    const { access_token: token, open_id: openId } = await connect();
    for (let i = 0; i < 3; i++) expect((await call('POST', '/v2/post/publish/video/init/', { token, json: selfOnly(pull) })).status).toBe(200);
    for (let i = 0; i < 3; i++) expect((await call('POST', '/v2/post/publish/content/init/', { token, json: photoPost('DIRECT_POST') })).status).toBe(200);
    const limited = await call('POST', '/v2/post/publish/content/init/', { token, json: photoPost('DIRECT_POST') });
    expect(limited.status).toBe(429);
    expect(limited.body.error).toMatchObject({ code: 'rate_limit_exceeded', log_id: expect.any(String) });
    const stats = (await call('GET', '/__sandbox/stats')).body as { publishes: Array<{ accountId: string; contentHash: string; count: number }> };
    const photoHash = createHash('sha256')
      .update(JSON.stringify({ accountId: openId, content: 'three photos #fyp', mediaItems: photos(3), photoTitle: 'carousel' }))
      .digest('hex');
    expect(stats.publishes.find((entry) => entry.contentHash === photoHash)).toEqual({ accountId: openId, contentHash: photoHash, count: 3 });
  });

  it('fails a carousel with a fail URL, with fail_reason', async () => {
    const { access_token: token } = await connect();
    const init = await call('POST', '/v2/post/publish/content/init/', { token, json: photoPost('DIRECT_POST', { source_info: { photo_images: ['https://cdn.example.com/fail.jpg'] } }) });
    now += 1_000;
    const status = await call('POST', '/v2/post/publish/status/fetch/', { token, json: { publish_id: init.body.data.publish_id } });
    expect(status.body.data).toMatchObject({ status: 'FAILED', fail_reason: 'file_format_check_failed' });
  });
});

describe('TikTok video list twin', () => {
  const list = (token: string, body: object = {}, fields = LIST_FIELDS) => call('POST', `/v2/video/list/?fields=${fields}`, { token, json: body });

  it('lists completed direct posts newest first, pages by the create-time cursor, and leaves out drafts and unfinished posts', async () => {
    sandbox.configure({ tiktokAudited: true });
    const { access_token: token } = await connect('creator_1', ALL_SCOPES);
    const ids: string[] = [];
    for (const title of ['first', 'second', 'third']) {
      const init = await call('POST', '/v2/post/publish/video/init/', { token, json: { post_info: { title, privacy_level: 'PUBLIC_TO_EVERYONE' }, source_info: pull } });
      ids.push(init.body.data.publish_id);
      now += 1_000;
    }
    await call('POST', '/v2/post/publish/content/init/', { token, json: photoPost('DIRECT_POST', { post_info: { privacy_level: 'PUBLIC_TO_EVERYONE' } }) });
    await call('POST', '/v2/post/publish/inbox/video/init/', { token, json: { source_info: pull } });
    await call('POST', '/v2/post/publish/content/init/', { token, json: photoPost('MEDIA_UPLOAD') });
    // The photo has not finished yet: it is not listed.
    expect((await list(token)).body.data.videos.map((video: { title: string }) => video.title)).toEqual(['third', 'second', 'first']);
    now += 1_000;

    const first = await list(token, { max_count: 2 });
    expect(first.status).toBe(200);
    expect(first.body.error).toMatchObject({ code: 'ok', log_id: expect.any(String) });
    expect(first.body.data.has_more).toBe(true);
    const [photo, third] = first.body.data.videos;
    expect(photo).toEqual({
      id: expect.stringMatching(/^\d{19}$/),
      title: 'carousel',
      video_description: 'three photos #fyp',
      create_time: expect.any(Number),
      share_url: `https://www.tiktok.com/@creator_1/photo/${photo.id}`,
      cover_image_url: expect.stringMatching(/^https:\/\//),
      duration: 0,
    });
    expect(third).toMatchObject({ title: 'third', video_description: 'third', duration: 15, share_url: `https://www.tiktok.com/@creator_1/video/${third.id}` });
    // The listed id is the one status names publicly.
    const status = await call('POST', '/v2/post/publish/status/fetch/', { token, json: { publish_id: ids[2] } });
    expect(status.body.data.publicaly_available_post_id).toEqual([third.id]);

    const second = await list(token, { max_count: 2, cursor: first.body.data.cursor });
    expect(second.body.data.videos.map((video: { title: string }) => video.title)).toEqual(['second', 'first']);
    expect(second.body.data.has_more).toBe(false);
    expect(second.body.data.videos[0].create_time).toBeLessThanOrEqual(third.create_time);
    const after = await list(token, { cursor: second.body.data.cursor });
    expect(after.body.data).toEqual({ videos: [], cursor: second.body.data.cursor, has_more: false });
  });

  it('keeps videos on the same frozen millisecond apart, so paging by time loses none', async () => {
    const { access_token: token } = await connect('creator_1', ALL_SCOPES);
    for (let i = 0; i < 5; i++) await call('POST', '/v2/post/publish/video/init/', { token, json: { post_info: { title: `v${i}`, privacy_level: 'SELF_ONLY' }, source_info: pull } });
    now += 1_000;
    const seen: string[] = [];
    let cursor: number | undefined;
    for (let page = 0; page < 5; page++) {
      const answer = await list(token, { max_count: 1, ...(cursor === undefined ? {} : { cursor }) });
      seen.push(...answer.body.data.videos.map((video: { title: string }) => video.title));
      cursor = answer.body.data.cursor;
      if (!answer.body.data.has_more) break;
    }
    expect(seen).toEqual(['v4', 'v3', 'v2', 'v1', 'v0']);
  });

  it('shows SELF_ONLY posts unless told to list public posts only, and answers only the fields asked for', async () => {
    sandbox.configure({ tiktokAudited: true });
    const { access_token: token } = await connect('creator_1', ALL_SCOPES);
    await call('POST', '/v2/post/publish/video/init/', { token, json: { post_info: { title: 'private', privacy_level: 'SELF_ONLY' }, source_info: pull } });
    await call('POST', '/v2/post/publish/video/init/', { token, json: { post_info: { title: 'public', privacy_level: 'PUBLIC_TO_EVERYONE' }, source_info: pull } });
    now += 1_000;
    expect((await list(token, {}, 'title')).body.data.videos).toEqual([{ title: 'public' }, { title: 'private' }]);
    expect((await call('PUT', '/__sandbox/tiktok/video-list', { json: { include_private: false } })).body).toEqual({ include_private: false });
    expect((await list(token, {}, 'title')).body.data.videos).toEqual([{ title: 'public' }]);
  });

  it('needs video.list, caps max_count at 20, requires fields, and shows only the token owner\'s videos', async () => {
    const { access_token: noList } = await connect();
    const refused = await list(noList);
    expect(refused.status).toBe(401);
    expect(refused.body.error).toMatchObject({ code: 'scope_not_authorized', log_id: expect.any(String) });
    const { access_token: token } = await connect('creator_1', ALL_SCOPES);
    await call('POST', '/v2/post/publish/video/init/', { token, json: selfOnly(pull) });
    now += 1_000;
    expect((await list(token, { max_count: 21 })).body.error.code).toBe('invalid_params');
    expect((await call('POST', '/v2/video/list/', { token, json: {} })).body.error.code).toBe('invalid_params');
    const { access_token: other } = await connect('creator_9', ALL_SCOPES);
    expect((await list(other)).body.data).toEqual({ videos: [], cursor: 0, has_more: false });
    expect((await list(token)).body.data.videos).toHaveLength(1);
  });
});

describe('TikTok error injection', () => {
  const CODES = {
    access_token_invalid: 401,
    scope_not_authorized: 401,
    rate_limit_exceeded: 429,
    spam_risk_too_many_posts: 403,
    spam_risk_too_many_pending_share: 403,
    spam_risk_user_banned_from_posting: 403,
    reached_active_user_cap: 403,
    unaudited_client_can_only_post_to_private_accounts: 403,
    privacy_level_option_mismatch: 400,
    url_ownership_unverified: 403,
    internal_error: 500,
  } as const;

  it('answers every code on every endpoint with its HTTP status and {error: {code, message, log_id}}', async () => {
    const { access_token: token } = await connect('creator_1', ALL_SCOPES);
    const init = await call('POST', '/v2/post/publish/video/init/', { token, json: selfOnly(pull) });
    const requests: Record<string, () => Promise<Answer>> = {
      user_info: () => call('GET', '/v2/user/info/?fields=open_id', { token }),
      creator_info: () => call('POST', '/v2/post/publish/creator_info/query/', { token, json: {} }),
      video_init: () => call('POST', '/v2/post/publish/video/init/', { token, json: selfOnly(pull) }),
      inbox_init: () => call('POST', '/v2/post/publish/inbox/video/init/', { token, json: { source_info: pull } }),
      content_init: () => call('POST', '/v2/post/publish/content/init/', { token, json: photoPost('DIRECT_POST') }),
      status_fetch: () => call('POST', '/v2/post/publish/status/fetch/', { token, json: { publish_id: init.body.data.publish_id } }),
      video_list: () => call('POST', `/v2/video/list/?fields=${LIST_FIELDS}`, { token, json: {} }),
    };
    const logIds = new Set<string>();
    for (const [endpoint, send] of Object.entries(requests)) {
      for (const [code, status] of Object.entries(CODES)) {
        now += 60_000; // a fresh per-token minute for every call
        expect((await call('POST', '/__sandbox/tiktok/errors', { json: { endpoint, code, count: 1 } })).status).toBe(200);
        const answer = await send();
        expect(answer.status, `${endpoint} ${code}`).toBe(status);
        expect(answer.body).toEqual({ error: { code, message: expect.any(String), log_id: expect.stringMatching(/^2025[0-9A-F]{26}$/) } });
        logIds.add(answer.body.error.log_id);
      }
      now += 60_000;
      expect((await send()).status, `${endpoint} after the injections`).toBe(200);
    }
    expect(logIds.size).toBe(Object.keys(requests).length * Object.keys(CODES).length);
  });

  it('refuses an unknown endpoint or code', async () => {
    const badEndpoint = await call('POST', '/__sandbox/tiktok/errors', { json: { endpoint: 'nope', code: 'internal_error' } });
    expect(badEndpoint.body).toMatchObject({ ok: false, field: 'endpoint' });
    const badCode = await call('POST', '/__sandbox/tiktok/errors', { json: { endpoint: 'video_list', code: 'nope' } });
    expect(badCode.body).toMatchObject({ ok: false, field: 'code' });
  });
});

describe('TikTok webhooks twin', () => {
  let receiver: Server;
  let received: Array<{ signature: string | undefined; body: string }> = [];
  let receiverUrl = '';

  beforeAll(async () => {
    receiver = createServer((request, response) => {
      const parts: Buffer[] = [];
      request.on('data', (part: Buffer) => parts.push(part));
      request.on('end', () => {
        const header = request.headers['tiktok-signature'];
        received.push({ signature: typeof header === 'string' ? header : undefined, body: Buffer.concat(parts).toString('utf8') });
        response.writeHead(200).end();
      });
    });
    await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
    receiverUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hook`;
  });
  afterAll(() => new Promise<void>((resolve) => receiver.close(() => resolve())));
  afterEach(() => {
    received = [];
  });

  it('delivers post.publish.complete signed with the client secret over "<t>.<body>"', async () => {
    await call('PUT', '/__sandbox/tiktok/webhook', { json: { url: receiverUrl } });
    const { access_token: token, open_id: openId } = await connect();
    const init = await call('POST', '/v2/post/publish/video/init/', { token, json: selfOnly(pull) });
    now += 1_000;
    const flushed = await call('POST', '/__sandbox/tiktok/webhook/flush');
    expect(flushed.body.deliveries).toHaveLength(1);
    const delivery = received.find((entry) => entry.body.includes('post.publish.complete'));
    expect(delivery).toBeDefined();
    const body = JSON.parse(delivery?.body ?? '{}') as Record<string, unknown>;
    expect(body).toMatchObject({ client_key: CLIENT_KEY, event: 'post.publish.complete', user_openid: openId, create_time: Math.floor(wall / 1000) });
    expect(JSON.parse(String(body.content))).toEqual({ publish_id: init.body.data.publish_id, publish_type: 'DIRECT_PUBLISH' });
    const match = /^t=(\d+),s=([0-9a-f]{64})$/.exec(delivery?.signature ?? '');
    expect(match?.[1]).toBe(String(Math.floor(wall / 1000)));
    expect(match?.[2]).toBe(createHmac('sha256', CLIENT_SECRET).update(`${match?.[1]}.${delivery?.body}`).digest('hex'));
  });

  it('delivers twice with the duplicate switch, and authorization.removed on revoke', async () => {
    await call('PUT', '/__sandbox/tiktok/webhook', { json: { url: receiverUrl, duplicate: true } });
    const { open_id: openId } = await connect();
    await call('POST', `/__sandbox/tiktok/users/${openId}/revoke`);
    await call('POST', '/__sandbox/tiktok/webhook/flush');
    expect(received).toHaveLength(2);
    expect(received[0]?.body).toBe(received[1]?.body);
    expect(JSON.parse(received[0]?.body ?? '{}')).toMatchObject({ event: 'authorization.removed', content: '{"reason":1}' });
  });
});
