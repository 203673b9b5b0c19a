import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSandbox, type RunningSandbox } from '../src/index';
import { client, photoPost, videoPost, type Api } from './helpers';
import type { PostResponse, PostingError } from './wire';

let sandbox: RunningSandbox;
let api: Api;

beforeAll(async () => {
  sandbox = await startSandbox({ port: 0, config: { quotaPerSecond: 0 } });
  api = client(sandbox);
});
afterAll(() => sandbox.close());

const photos = (count: number, extension = 'jpg') =>
  Array.from({ length: count }, (_, index) => ({ url: `https://cdn.example.test/p${index}.${extension}` }));

const { tiktokSettings: _omitted, ...videoWithoutSettings } = videoPost();

const rejected: Array<[string, unknown, string]> = [
  ['a missing accountId', videoPost({ accountId: undefined }), 'accountId'],
  ['missing tiktokSettings', videoWithoutSettings, 'tiktokSettings'],
  ['missing mediaItems', videoPost({ mediaItems: undefined }), 'mediaItems'],
  ['empty mediaItems', videoPost({ mediaItems: [] }), 'mediaItems'],
  ['a non-http media URL', videoPost({ mediaItems: [{ url: 'ftp://cdn.example.test/clip.mp4' }] }), 'mediaItems.0.url'],
  ['a relative media URL', videoPost({ mediaItems: [{ url: '/clip.mp4' }] }), 'mediaItems.0.url'],
  ['mixed photos and a video', videoPost({ mediaItems: [...photos(2), { url: 'https://cdn.example.test/clip.MP4?sig=1' }] }), 'mediaItems'],
  ['a photo post containing a video', photoPost(2, { mediaItems: [{ url: 'https://x.test/a.mov' }, ...photos(2)] }, { media_type: 'photo' }), 'mediaItems'],
  ['two videos', videoPost({ mediaItems: [{ url: 'https://x.test/a.mp4' }, { url: 'https://x.test/b.webm' }] }), 'mediaItems'],
  ['a single photo', photoPost(1), 'mediaItems'],
  ['36 photos', photoPost(36), 'mediaItems'],
  ['a video caption over 2200 characters', videoPost({ content: 'x'.repeat(2201) }), 'content'],
  ['a photo title over 90 characters', photoPost(2, { photoTitle: 'x'.repeat(91) }), 'photoTitle'],
  ['a photo description over 4000 characters', photoPost(2, { content: 'x'.repeat(4001) }), 'content'],
  ['a missing privacy_level', videoPost({}, { privacy_level: undefined }), 'tiktokSettings.privacy_level'],
  ['an unknown privacy_level', videoPost({}, { privacy_level: 'EVERYONE' }), 'tiktokSettings.privacy_level'],
  ['a missing allow_comment', videoPost({}, { allow_comment: undefined }), 'tiktokSettings.allow_comment'],
  ['a video without allow_duet', videoPost({}, { allow_duet: undefined }), 'tiktokSettings.allow_duet'],
  ['a video without allow_stitch', videoPost({}, { allow_stitch: undefined }), 'tiktokSettings.allow_stitch'],
  ['a photo cover index past the last photo', photoPost(3, {}, { photo_cover_index: 3 }), 'tiktokSettings.photo_cover_index'],
  ['a negative photo cover index', photoPost(3, {}, { photo_cover_index: -1 }), 'tiktokSettings.photo_cover_index'],
];

describe('POST /api/content/post validation', () => {
  it.each(rejected)('rejects %s with a 400 naming the field', async (_name, body, field) => {
    const response = await api.post<PostingError>('/api/content/post', body);
    expect(response.status).toBe(400);
    expect(response.body).toMatchObject({ success: false, code: 'invalid_params', field });
    expect(response.body.error.length).toBeGreaterThan(0);
  });

  it('rejects a body that is not JSON', async () => {
    const response = await fetch(`${sandbox.url}/api/content/post`, {
      method: 'POST',
      headers: { 'X-API-Key': 'k', 'content-type': 'application/json' },
      body: '{"accountId":',
    });
    expect(response.status).toBe(400);
    expect(await response.json()).toMatchObject({ success: false, code: 'invalid_params', field: 'body' });
  });

  it('accepts the limits themselves', async () => {
    const accepted = [
      videoPost({ content: 'x'.repeat(2200) }),
      photoPost(35, { photoTitle: 'x'.repeat(90), content: 'x'.repeat(4000) }, { photo_cover_index: 34 }),
      photoPost(2),
      // Without a recognisable extension, media_type decides.
      photoPost(2, { mediaItems: [{ url: 'https://x.test/a?id=1' }, { url: 'https://x.test/b?id=2' }] }, { media_type: 'photo' }),
      videoPost({ mediaItems: [{ url: 'https://x.test/stream?id=1' }] }),
      photoPost(2, { mediaItems: photos(2, 'WEBP') }),
    ];
    for (const body of accepted) {
      const response = await api.post<PostResponse>('/api/content/post', body);
      expect(response.status, JSON.stringify(response.body)).toBe(200);
    }
  });
});
