import { parseCanonicalInt } from './ids';

/**
 * Follower cursors are numbers, as TikAPI sends them today: the official SDK (3.2.x) declares
 * `nextCursor` a number and refuses to send anything else, so a string cursor ends its paging on
 * page 2. The number is the follower slot the next page starts at (see `churn.ts`), which a day
 * change does not shift. The older base64 token (`sbx-fc1:<offset>`) is still read, because
 * crawls checkpointed before the switch hold it; on day 0 an offset and a slot are the same.
 * Hashtag and posts cursors are numeric strings upstream, and the SDK checks them with `^[0-9]+$`.
 */
const FOLLOWER_CURSOR_TAG = 'sbx-fc1:';

/** The old opaque form; only tests that prove it is still accepted make one. */
export function encodeLegacyFollowerCursor(offset: number): string {
  return Buffer.from(`${FOLLOWER_CURSOR_TAG}${offset}`, 'latin1').toString('base64url');
}

export function decodeFollowerCursor(cursor: string): number | null {
  const numeric = parseCanonicalInt(cursor);
  if (numeric !== null) return numeric;
  if (cursor.length > 64) return null;
  const text = Buffer.from(cursor, 'base64url').toString('latin1');
  if (!text.startsWith(FOLLOWER_CURSOR_TAG)) return null;
  const offset = parseCanonicalInt(text.slice(FOLLOWER_CURSOR_TAG.length));
  if (offset === null || encodeLegacyFollowerCursor(offset) !== cursor) return null;
  return offset;
}

export function decodeHashtagCursor(cursor: string): number | null {
  return parseCanonicalInt(cursor);
}

/** Epoch ms of the last post already seen; 0 means "from the newest". */
export function decodePostsCursor(cursor: string): number | null {
  return parseCanonicalInt(cursor);
}
