import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { publishContentHash, startSandbox, type RunningSandbox } from '../src/index';
import { API_KEY, client, photoPost, sleep, videoPost, type Api } from './helpers';
import type { PostResponse, PostingError, StatusResponse } from './wire';

const DURATION_MS = 90;

let sandbox: RunningSandbox;
let api: Api;

beforeAll(async () => {
  sandbox = await startSandbox({ port: 0, config: { quotaPerSecond: 0, publishDurationMs: DURATION_MS } });
  api = client(sandbox);
});
afterAll(() => sandbox.close());
beforeEach(() => sandbox.reset());

async function publish(body: unknown): Promise<string> {
  const response = await api.post<PostResponse>('/api/content/post', body);
  expect(response.status).toBe(200);
  expect(response.body.success).toBe(true);
  expect(response.body.data.publish_id).toMatch(/^v_pub_url~v2\.\d+$/);
  return response.body.data.publish_id;
}

function statusOf(accountId: string, publishId: string) {
  return api.get<StatusResponse | PostingError>(`/api/content/status/${accountId}/${encodeURIComponent(publishId)}`, { 'X-API-Key': API_KEY });
}

async function finalStatus(accountId: string, publishId: string): Promise<StatusResponse['data']> {
  await sleep(DURATION_MS + 10);
  const response = await statusOf(accountId, publishId);
  expect(response.status).toBe(200);
  return (response.body as StatusResponse).data;
}

describe('the publish lifecycle', () => {
  it('reports PROCESSING_UPLOAD right after the post', async () => {
    // Long enough that a loaded machine cannot blow through the first third before the poll lands;
    // the exact phase boundaries are covered with a fake clock in src/publish-lifecycle.test.ts.
    sandbox.configure({ publishDurationMs: 30_000 });
    const publishId = await publish(videoPost());
    const early = await statusOf('acct_1', publishId);
    expect(early.status).toBe(200);
    expect((early.body as StatusResponse).data).toMatchObject({ publish_id: publishId, status: 'PROCESSING_UPLOAD' });
  });

  it('ends in PUBLISH_COMPLETE with a public post URL', async () => {
    const publishId = await publish(videoPost());
    const final = await finalStatus('acct_1', publishId);
    expect(final.status).toBe('PUBLISH_COMPLETE');
    expect(final.publish_id).toBe(publishId);
    expect(final.public_post_url).toMatch(/^https:\/\/www\.tiktok\.com\/@user_1\/video\/\d{19}$/);
  });

  it('ends in SEND_TO_USER_INBOX for drafts', async () => {
    const publishId = await publish(photoPost(3, {}, { draft: true }));
    expect((await finalStatus('acct_1', publishId)).status).toBe('SEND_TO_USER_INBOX');
  });

  it('ends in FAILED with a reason when a media URL contains "fail"', async () => {
    const publishId = await publish(videoPost({ mediaItems: [{ url: 'https://cdn.example.test/will-fail.mp4' }] }));
    const final = await finalStatus('acct_1', publishId);
    expect(final.status).toBe('FAILED');
    expect(final.fail_reason).toBe('file_format_check_failed');
  });

  it('reports the detected media type and gives every publish its own id', async () => {
    const video = await api.post<PostResponse>('/api/content/post', videoPost());
    const photo = await api.post<PostResponse>('/api/content/post', photoPost(2));
    expect(video.body.mediaType).toBe('video');
    expect(photo.body.mediaType).toBe('photo');
    expect(video.body.data.publish_id).not.toBe(photo.body.data.publish_id);
  });

  it('answers 404 for unknown publish ids and for another account asking', async () => {
    const publishId = await publish(videoPost());
    for (const [accountId, id] of [
      ['acct_1', 'v_pub_url~v2.1'],
      ['acct_2', publishId],
    ] as const) {
      const response = await statusOf(accountId, id);
      expect(response.status).toBe(404);
      expect(response.body).toEqual({ success: false, error: 'Publish not found', code: 'not_found' });
    }
  });

  it('counts every accepted publish by account and content hash', async () => {
    await publish(videoPost());
    await publish(videoPost());
    await publish(videoPost({ content: 'something else' }));
    const hash = publishContentHash({
      accountId: 'acct_1',
      content: 'Sandbox video #fyp',
      mediaUrls: ['https://cdn.example.test/clip.mp4'],
    });
    const { publishes } = sandbox.stats();
    expect(publishes).toHaveLength(2);
    expect(publishes.find((entry) => entry.contentHash === hash)).toEqual({ accountId: 'acct_1', contentHash: hash, count: 2 });
  });

  it('forgets publishes on reset', async () => {
    const publishId = await publish(videoPost());
    sandbox.reset();
    expect((await statusOf('acct_1', publishId)).status).toBe(404);
  });
});

describe('creator info and accounts', () => {
  it('describes the creator with the four privacy levels', async () => {
    const response = await api.get<{ success: boolean; data: Record<string, unknown> }>('/api/content/creator-info/acct_77', { 'X-API-Key': API_KEY });
    expect(response.status).toBe(200);
    expect(response.body.data).toMatchObject({
      creator_username: 'user_77',
      privacy_level_options: ['PUBLIC_TO_EVERYONE', 'MUTUAL_FOLLOW_FRIENDS', 'FOLLOWER_OF_CREATOR', 'SELF_ONLY'],
      comment_disabled: false,
      duet_disabled: false,
      stitch_disabled: false,
      max_video_post_duration_sec: 600,
    });
  });

  it('lists the demo accounts and every account that has posted', async () => {
    await publish(videoPost({ accountId: 'acct_42' }));
    const response = await api.get<{ success: boolean; subscription: string; data: Array<{ accountId: string }> }>('/api/content/accounts', {
      'X-API-Key': API_KEY,
    });
    expect(response.body.success).toBe(true);
    expect(response.body.subscription).toBe('maximum');
    expect(response.body.data.map((account) => account.accountId)).toContain('acct_42');
    expect(response.body.data.length).toBeGreaterThan(1);
  });

  it('rejects posting requests without an API key', async () => {
    const response = await api.post<PostingError>('/api/content/post', videoPost(), {});
    expect(response.status).toBe(401);
    expect(response.body).toEqual({ success: false, error: 'Invalid API key', code: 'invalid_api_key' });
  });
});

describe('per-account limits', () => {
  it('allow publishPerMinute accepted publishes per account, then answer 429 with Retry-After', async () => {
    sandbox.configure({ accountLimits: { publishPerMinute: 2, statusPerMinute: 30, creatorInfoPerMinute: 1 } });
    await publish(videoPost({ accountId: 'acct_8' }));
    const invalid = await api.post<PostingError>('/api/content/post', videoPost({ accountId: 'acct_8', mediaItems: [] }));
    expect(invalid.status).toBe(400);
    await publish(videoPost({ accountId: 'acct_8' }));
    const limited = await api.post<PostingError>('/api/content/post', videoPost({ accountId: 'acct_8' }));
    expect(limited.status).toBe(429);
    expect(limited.body.code).toBe('rate_limit_exceeded');
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThanOrEqual(59);
    await publish(videoPost({ accountId: 'acct_other' }));

    expect((await api.get('/api/content/creator-info/acct_8', { 'X-API-Key': API_KEY })).status).toBe(200);
    expect((await api.get('/api/content/creator-info/acct_8', { 'X-API-Key': API_KEY })).status).toBe(429);
  });

  it('are off by default', async () => {
    for (let index = 0; index < 8; index++) await publish(videoPost({ accountId: 'acct_busy' }));
  });
});
