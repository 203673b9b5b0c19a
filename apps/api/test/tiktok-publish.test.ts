import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitForPost, type OperatorWorld } from './operator-world';
import { startMediaServer, type MediaServer } from './tiktok-media-server';
import { connectedAccount, createTikTokPost, sandboxCalls, startTikTokWorld, tiktokOpenId, tiktokVideoBody, type AccountRowView } from './tiktok-world';

let world: OperatorWorld;
let media: MediaServer;
let account: AccountRowView;

const MB = 1024 * 1024;

beforeAll(async () => {
  media = await startMediaServer();
  // The media host is 127.0.0.1, which the API refuses unless told this is a test network.
  world = await startTikTokWorld({ api: { MEDIA_ALLOW_PRIVATE_HOSTS: 'true' }, worker: { MEDIA_ALLOW_PRIVATE_HOSTS: 'true', TIKTOK_UPLOAD_MAX_BYTES: String(200 * MB) } });
  account = await connectedAccount(world, 'creator_1');
});
afterAll(async () => {
  await world.close();
  await media.close();
});

const published = (id: string) => waitForPost(world.api, id, (post) => post.status === 'published' || post.status === 'failed' || post.status === 'unconfirmed', 30_000);
const initsFor = () => world.sandbox.stats().publishes.filter((entry) => entry.accountId === tiktokOpenId('creator_1'));

describe('publishing through TikTok’s own API', () => {
  it('a video pulled from a verified URL is published, with one init', async () => {
    const id = await createTikTokPost(world.api, tiktokVideoBody(account.id, { content: 'pulled video' }));
    const post = await published(id);
    expect(post.status).toBe('published');
    expect(post.error).toBeNull();
    expect(sandboxCalls(world.sandbox, 'POST /v2/post/publish/video/init/').byStatus['200']).toBe(1);
    expect(initsFor().every((entry) => entry.count === 1)).toBe(true);
  });

  it('a 150 MB video is uploaded in chunks, streamed: the process grows by less than 100 MB', async () => {
    const size = 150 * MB;
    const before = process.memoryUsage().rss;
    let peak = before;
    const sampler = setInterval(() => {
      peak = Math.max(peak, process.memoryUsage().rss);
    }, 20);
    try {
      const id = await createTikTokPost(world.api, tiktokVideoBody(account.id, { content: 'uploaded video', url: media.urlFor(size), settings: { uploadMode: 'file' } }));
      const post = await published(id);
      expect(post.status, JSON.stringify(post.error)).toBe('published');
    } finally {
      clearInterval(sampler);
    }
    expect(media.sent()).toBe(size);
    // 10,000,000-byte chunks (TIKTOK_UPLOAD_CHUNK_BYTES): floor(size / chunk) of them, the last one larger.
    const uploads = sandboxCalls(world.sandbox, 'PUT /upload/video/');
    expect(uploads.total).toBe(Math.floor(size / 10_000_000));
    expect(uploads.byStatus['201']).toBe(1);
    expect(peak - before).toBeLessThan(100 * MB);
  });

  it('a photo carousel goes through the content init and is published', async () => {
    const id = await createTikTokPost(world.api, {
      accountId: account.id,
      content: 'a carousel caption',
      photoTitle: 'Carousel',
      mediaItems: [{ url: 'https://cdn.example.com/a.jpg' }, { url: 'https://cdn.example.com/b.jpg' }, { url: 'https://cdn.example.com/c.jpg' }],
      settings: { privacyLevel: 'SELF_ONLY', allowComment: true, photoCoverIndex: 1 },
    });
    const post = await published(id);
    expect(post.status).toBe('published');
    expect(sandboxCalls(world.sandbox, 'POST /v2/post/publish/content/init/').byStatus['200']).toBe(1);
  });

  it('a draft lands in the creator’s inbox and ends as sent_to_inbox', async () => {
    const video = await createTikTokPost(world.api, tiktokVideoBody(account.id, { content: 'a draft video', settings: { draft: true } }));
    const photos = await createTikTokPost(world.api, {
      accountId: account.id,
      content: 'a draft carousel',
      mediaItems: [{ url: 'https://cdn.example.com/d.jpg' }, { url: 'https://cdn.example.com/e.jpg' }],
      settings: { privacyLevel: 'SELF_ONLY', allowComment: true, draft: true },
    });
    for (const id of [video, photos]) {
      const post = await published(id);
      expect(post.status).toBe('published');
      const detail = await world.api.app.inject({ method: 'GET', url: `/v1/posts/${id}`, headers: world.api.auth });
      expect(detail.json<{ events: Array<{ code: string | null }> }>().events.map((event) => event.code)).toContain('sent_to_inbox');
    }
    expect(sandboxCalls(world.sandbox, 'POST /v2/post/publish/inbox/video/init/').byStatus['200']).toBe(1);
  });

  it('refuses at create what TikTok would refuse: a public post from an unaudited app, a file upload of photos', async () => {
    const publicPost = await world.api.app.inject({ method: 'POST', url: '/v1/posts', headers: world.api.auth, payload: tiktokVideoBody(account.id, { settings: { privacyLevel: 'PUBLIC_TO_EVERYONE' } }) });
    expect(publicPost.statusCode).toBe(400);
    expect(publicPost.json<{ error: { fields: Record<string, string> } }>().error.fields['settings.privacyLevel']).toContain('SELF_ONLY');
    const filePhotos = await world.api.app.inject({
      method: 'POST',
      url: '/v1/posts',
      headers: world.api.auth,
      payload: { accountId: account.id, content: 'x', mediaItems: [{ url: 'https://cdn.example.com/a.jpg' }, { url: 'https://cdn.example.com/b.jpg' }], settings: { privacyLevel: 'SELF_ONLY', allowComment: true, uploadMode: 'file' } },
    });
    expect(filePhotos.statusCode).toBe(400);
    expect(Object.keys(filePhotos.json<{ error: { fields: Record<string, string> } }>().error.fields)).toContain('settings.uploadMode');
  });

  it('a video longer than the creator may post is refused at create, naming settings.videoDurationSec', async () => {
    const short = await connectedAccount(world, 'creator_2');
    await world.admin('PUT', `/tiktok/creator-info/${tiktokOpenId('creator_2')}`, { max_video_post_duration_sec: 60 });
    const tooLong = await world.api.app.inject({ method: 'POST', url: '/v1/posts', headers: world.api.auth, payload: tiktokVideoBody(short.id, { settings: { videoDurationSec: 90 } }) });
    expect(tooLong.statusCode).toBe(400);
    expect(tooLong.json<{ error: { fields: Record<string, string> } }>().error.fields['settings.videoDurationSec']).toContain('at most 60 s');
    const fits = await createTikTokPost(world.api, tiktokVideoBody(short.id, { settings: { videoDurationSec: 45 } }));
    expect((await published(fits)).status).toBe('published');
  });

  it.each([
    ['is not there', 'creator_3', () => media.urlFor(0).replace('/media/0.mp4', '/nothing.mp4'), 'media_unavailable'],
    ['does not say its size', 'creator_4', () => media.urlFor(1_000_000, { sized: false }), 'media_size_unknown'],
    ['is over TIKTOK_UPLOAD_MAX_BYTES', 'creator_5', () => media.urlFor(250 * MB), 'media_too_large'],
  ])('a media file that %s fails before anything reaches TikTok', async (_why, user, url, code) => {
    // Its own account: creator_1's token has spent its 6 inits a minute above.
    const owner = await connectedAccount(world, user);
    const initsBefore = sandboxCalls(world.sandbox, 'POST /v2/post/publish/video/init/').total;
    const id = await createTikTokPost(world.api, tiktokVideoBody(owner.id, { url: url(), settings: { uploadMode: 'file' } }));
    const post = await published(id);
    expect(post.status).toBe('failed');
    expect(post.error?.code).toBe(code);
    expect(post.attempts).toBe(0);
    expect(sandboxCalls(world.sandbox, 'POST /v2/post/publish/video/init/').total).toBe(initsBefore);
  });
});
