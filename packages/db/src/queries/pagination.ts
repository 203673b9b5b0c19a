import { and, eq, gt, lt, or, type AnyColumn, type SQL } from 'drizzle-orm';

/**
 * Keyset pagination over (created_at, id): stable under concurrent inserts, O(page) at any depth.
 * The cursor is opaque to clients (base64url JSON) so we may change its contents later.
 */
export interface KeysetCursor {
  createdAt: Date;
  id: string;
}

export function encodeCursor(cursor: KeysetCursor): string {
  return Buffer.from(JSON.stringify({ t: cursor.createdAt.toISOString(), i: cursor.id })).toString('base64url');
}

export function decodeCursor(value: string): KeysetCursor | null {
  try {
    const parsed: unknown = JSON.parse(Buffer.from(value, 'base64url').toString('utf8'));
    if (typeof parsed !== 'object' || parsed === null) return null;
    const { t, i } = parsed as { t?: unknown; i?: unknown };
    if (typeof t !== 'string' || typeof i !== 'string') return null;
    const createdAt = new Date(t);
    if (Number.isNaN(createdAt.getTime())) return null;
    return { createdAt, id: i };
  } catch {
    return null;
  }
}

/** Rows strictly after the cursor in (created_at desc, id desc) order: newest first. */
export function afterCursorDesc(createdAt: AnyColumn, id: AnyColumn, cursor: KeysetCursor): SQL | undefined {
  return or(lt(createdAt, cursor.createdAt), and(eq(createdAt, cursor.createdAt), lt(id, cursor.id)));
}

/** Rows strictly after the cursor in (created_at asc, id asc) order. */
export function afterCursorAsc(createdAt: AnyColumn, id: AnyColumn, cursor: KeysetCursor): SQL | undefined {
  return or(gt(createdAt, cursor.createdAt), and(eq(createdAt, cursor.createdAt), gt(id, cursor.id)));
}

/** Fetch `limit + 1` rows, then call this: it trims the extra row and derives the next cursor. */
export function pageOf<Row extends { createdAt: Date; id: string }>(rows: Row[], limit: number): { items: Row[]; nextCursor: string | null } {
  const items = rows.slice(0, limit);
  const last = items[items.length - 1];
  return { items, nextCursor: rows.length > limit && last ? encodeCursor({ createdAt: last.createdAt, id: last.id }) : null };
}
