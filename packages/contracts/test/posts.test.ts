import { describe, expect, it } from 'vitest';
import { buildCreatePostBodySchema, createPostBodySchema, isAllowedMediaHost, mediaKindOf, resolveMediaType } from '../src/posts';
import { canTransitionPost, FINAL_POST_STATUSES, POST_STATUSES, POST_TRANSITIONS } from '@pubcrawl/domain';

const accountId = '00000000-0000-4000-8000-000000000001';
const video = {
  accountId,
  content: 'hello',
  mediaItems: [{ url: 'https://cdn.example.com/clip.MP4?sig=1' }],
  settings: { privacyLevel: 'SELF_ONLY', allowComment: true, allowDuet: false, allowStitch: false },
};

function fields(result: ReturnType<typeof createPostBodySchema.safeParse>): string[] {
  return result.success ? [] : result.error.issues.map((issue) => issue.path.join('.'));
}

describe('the post request schema', () => {
  it('tells videos from photos by extension, ignoring case and query strings', () => {
    expect(mediaKindOf('https://a.example/x.MOV?x=1')).toBe('video');
    expect(mediaKindOf('https://a.example/x.webp')).toBe('photo');
    expect(mediaKindOf('https://a.example/x')).toBeNull();
    expect(resolveMediaType({ mediaItems: [{ url: 'https://a.example/x' }], mediaType: 'photo' })).toBe('photo');
  });

  it('accepts a valid video and reports every problem of an invalid one at once', () => {
    expect(createPostBodySchema.safeParse(video).success).toBe(true);
    const result = createPostBodySchema.safeParse({ ...video, content: 'x'.repeat(2_201), photoTitle: 'no', settings: { privacyLevel: 'SELF_ONLY', allowComment: true } });
    expect(fields(result).sort()).toEqual(['content', 'photoTitle', 'settings.allowDuet', 'settings.allowStitch']);
  });

  it('accepts 2 to 35 photos and a cover index within them', () => {
    const photos = (count: number, cover?: number) => ({
      ...video,
      mediaItems: Array.from({ length: count }, (_, index) => ({ url: `https://cdn.example.com/${index}.jpeg` })),
      settings: { privacyLevel: 'SELF_ONLY', allowComment: true, ...(cover === undefined ? {} : { photoCoverIndex: cover }) },
    });
    expect(createPostBodySchema.safeParse(photos(2, 1)).success).toBe(true);
    expect(createPostBodySchema.safeParse(photos(35)).success).toBe(true);
    expect(fields(createPostBodySchema.safeParse(photos(1)))).toEqual(['mediaItems']);
    expect(fields(createPostBodySchema.safeParse(photos(36)))).toContain('mediaItems');
    expect(fields(createPostBodySchema.safeParse(photos(3, 3)))).toEqual(['settings.photoCoverIndex']);
  });

  it('applies the media host allow-list, with wildcard subdomains', () => {
    expect(isAllowedMediaHost('cdn.example.com', [])).toBe(true);
    expect(isAllowedMediaHost('a.cdn.example.com', ['*.cdn.example.com'])).toBe(true);
    expect(isAllowedMediaHost('cdn.example.com', ['*.cdn.example.com'])).toBe(false);
    expect(isAllowedMediaHost('evilcdn.example.com', ['*.cdn.example.com'])).toBe(false);
    const schema = buildCreatePostBodySchema({ mediaHosts: ['media.example.org'] });
    expect(fields(schema.safeParse(video))).toEqual(['mediaItems.0.url']);
  });

  it('refuses a schedule more than a year ahead of the clock it is given', () => {
    const now = Date.parse('2030-01-01T00:00:00Z');
    const schema = buildCreatePostBodySchema({ now: () => now });
    expect(schema.safeParse({ ...video, scheduledAt: '2030-06-01T00:00:00+02:00' }).success).toBe(true);
    expect(fields(schema.safeParse({ ...video, scheduledAt: '2031-06-01T00:00:00Z' }))).toEqual(['scheduledAt']);
  });
});

describe('the post state machine', () => {
  it('lets nothing leave published or cancelled, and only an operator retry or a late answer leave unconfirmed', () => {
    expect(POST_TRANSITIONS.published).toEqual([]);
    expect(POST_TRANSITIONS.cancelled).toEqual([]);
    expect(canTransitionPost('unconfirmed', 'publishing')).toBe(false);
    expect(canTransitionPost('unconfirmed', 'processing')).toBe(true);
    for (const status of POST_STATUSES) expect(canTransitionPost(status, 'publishing')).toBe(status === 'scheduled');
    for (const status of FINAL_POST_STATUSES) expect(POST_STATUSES).toContain(status);
  });
});
