import { createHash } from 'node:crypto';
import type { CreatePostBody } from '@pubcrawl/contracts';

/** JSON with object keys sorted at every level: the same body always hashes the same. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value)
      .filter(([, item]) => item !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([key, item]) => `${JSON.stringify(key)}:${canonicalJson(item)}`).join(',')}}`;
  }
  // JSON.stringify gives undefined for a bare undefined (an item missing from a batch array).
  return JSON.stringify(value) ?? 'null';
}

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

/**
 * SHA-256 of the validated request in canonical form. The schedule is compared as an instant, so
 * `...Z` and `...+00:00` are the same request.
 */
export function requestHash(body: CreatePostBody): string {
  const scheduledAt = body.scheduledAt === undefined ? undefined : new Date(body.scheduledAt).toISOString();
  return sha256(canonicalJson({ ...body, scheduledAt }));
}

/**
 * SHA-256 of what the audience sees: the text, the media in order, the photo title. Settings and the
 * time are left out on purpose: the same clip posted twice is a duplicate whatever its privacy level
 * or hour.
 */
export function contentHash(body: Pick<CreatePostBody, 'content' | 'mediaItems' | 'photoTitle'>): string {
  return sha256(canonicalJson({ content: body.content, media: body.mediaItems.map((item) => item.url), photoTitle: body.photoTitle ?? null }));
}

/** SHA-256 of a batch body as sent (keys in any order): what its Idempotency-Key is compared on. */
export function batchHash(items: readonly unknown[]): string {
  return sha256(canonicalJson(items));
}
