import { parseCanonicalInt } from './ids';

/**
 * Follower cursors are opaque on purpose: a client that does arithmetic on them would work here and
 * break upstream, where `nextCursor` is a server-chosen token. Hashtag cursors, by contrast, are
 * numeric strings upstream, so those stay plain offsets.
 */
const FOLLOWER_CURSOR_TAG = 'sbx-fc1:';

export function encodeFollowerCursor(offset: number): string {
  return Buffer.from(`${FOLLOWER_CURSOR_TAG}${offset}`, 'latin1').toString('base64url');
}

export function decodeFollowerCursor(cursor: string): number | null {
  if (cursor.length > 64) return null;
  const text = Buffer.from(cursor, 'base64url').toString('latin1');
  if (!text.startsWith(FOLLOWER_CURSOR_TAG)) return null;
  const offset = parseCanonicalInt(text.slice(FOLLOWER_CURSOR_TAG.length));
  if (offset === null || encodeFollowerCursor(offset) !== cursor) return null;
  return offset;
}

export function decodeHashtagCursor(cursor: string): number | null {
  return parseCanonicalInt(cursor);
}
