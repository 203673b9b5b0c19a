import { Permanent } from '@pubcrawl/tiktok';
import { describe, expect, it } from 'vitest';
import { openMedia } from '../src/publishing/media-source';

const options = { maxBytes: 1_000_000, timeoutMs: 2_000, allowPrivateHosts: false };

describe('openMedia (FILE_UPLOAD media the worker fetches itself)', () => {
  it.each([
    ['a private address', 'https://10.1.2.3/clip.mp4'],
    ['loopback IPv6', 'https://[::1]/clip.mp4'],
    ['a name that resolves to loopback', 'https://localhost/clip.mp4'],
  ])('refuses %s before connecting, naming MEDIA_ALLOW_PRIVATE_HOSTS', async (_what, url) => {
    const refused = await openMedia(url, options).then(
      () => null,
      (caught: unknown) => caught,
    );
    expect(refused).toBeInstanceOf(Permanent);
    expect(refused).toMatchObject({ code: 'media_host_private' });
    expect((refused as Permanent).message).toContain('MEDIA_ALLOW_PRIVATE_HOSTS');
  });
});
