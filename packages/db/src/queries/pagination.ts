import { and, eq, gt, lt, or, type AnyColumn, type SQL } from 'drizzle-orm';
import { z } from 'zod';

/**
 * Keyset pagination over (created_at, id): stable under concurrent inserts, O(page) at any depth.
 * The cursor is opaque to clients (base64url JSON) so we may change its contents later.
 *
 * The cursor's instant is a JS Date, so the column it is compared with must hold no more than
 * milliseconds: a microsecond column let rows that share the cursor's millisecond fall between two
 * pages. created_at columns that lists page by are `keysetCreatedAt()` (timestamptz(3));
 * schedule_runs.fire_time is written only from JS Dates (cron ticks).
 */
export interface KeysetCursor {
  createdAt: Date;
  id: string;
}

export function encodeCursor(cursor: KeysetCursor): string {
  return Buffer.from(JSON.stringify({ t: cursor.createdAt.toISOString(), i: cursor.id })).toString('base64url');
}

/**
 * What encodeCursor writes, and nothing else. A forged cursor used to reach Postgres (a non-UUID id,
 * a year Postgres or JS cannot hold) and come back as a 500; a cursor is input like any other.
 * The year range is the one the API accepts for any timestamp, 0001-9999: toISOString writes those
 * years with four digits, and Postgres and JS hold every instant in it.
 */
const keysetCursorSchema = z
  .object({
    t: z.iso.datetime().refine((value) => {
      const date = new Date(value);
      return !Number.isNaN(date.getTime()) && date.toISOString() === value && !value.startsWith('0000');
    }, 'must be a timestamp in years 0001-9999, as toISOString writes it'),
    i: z.uuid(),
  })
  .strict();

/**
 * The text of an opaque cursor, if `value` is exactly what encoding it gives: Node's base64url
 * decoder skips characters it does not know, so without the round trip `abc!` and `abc` would be
 * the same cursor.
 */
export function decodeOpaque(value: string): string | null {
  const text = Buffer.from(value, 'base64url').toString('utf8');
  return Buffer.from(text).toString('base64url') === value ? text : null;
}

/** The cursor, or null when `value` is not one encodeCursor wrote (the routes answer 400 naming `cursor`). */
export function decodeCursor(value: string): KeysetCursor | null {
  const text = decodeOpaque(value);
  if (text === null) return null;
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return null;
  }
  const parsed = keysetCursorSchema.safeParse(json);
  if (!parsed.success) return null;
  return { createdAt: new Date(parsed.data.t), id: parsed.data.i };
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
