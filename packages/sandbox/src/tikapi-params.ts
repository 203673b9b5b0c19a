import { z } from 'zod';
import { decodeFollowerCursor, decodeHashtagCursor, decodePostsCursor } from './cursors';

/** TikAPI caps every list endpoint at 30 items per request. */
export const MAX_PAGE_SIZE = 30;

const COUNT_MESSAGE = `count must be an integer between 1 and ${MAX_PAGE_SIZE}.`;

const count = z
  .string({ error: COUNT_MESSAGE })
  .regex(/^\d{1,6}$/, COUNT_MESSAGE)
  .transform(Number)
  .pipe(z.number().int().min(1, COUNT_MESSAGE).max(MAX_PAGE_SIZE, COUNT_MESSAGE))
  .default(MAX_PAGE_SIZE);

const nextCursor = z
  .string({ error: 'A valid nextCursor is required.' })
  .transform((value, ctx) => {
    const slot = decodeFollowerCursor(value);
    if (slot !== null) return slot;
    ctx.addIssue({ code: 'custom', message: 'A valid nextCursor is required.' });
    return z.NEVER;
  })
  .default(0);

const hashtagCursor = z
  .string({ error: 'A valid cursor is required.' })
  .transform((value, ctx) => {
    const offset = decodeHashtagCursor(value);
    if (offset !== null) return offset;
    ctx.addIssue({ code: 'custom', message: 'A valid cursor is required.' });
    return z.NEVER;
  })
  .default(0);

const postsCursor = z
  .string({ error: 'A valid cursor is required.' })
  .transform((value, ctx) => {
    const key = decodePostsCursor(value);
    if (key !== null) return key;
    ctx.addIssue({ code: 'custom', message: 'A valid cursor is required.' });
    return z.NEVER;
  })
  .optional();

const secUid = z.string({ error: 'A valid TikTok secUid is required.' });

export const checkQuery = z.object({ username: z.string({ error: 'A valid TikTok username is required.' }) });

export const publicFollowersQuery = z.object({ secUid, count, nextCursor });

export const userFollowersQuery = z.object({ secUid: secUid.optional(), count, nextCursor });

export const hashtagQuery = z.object({
  name: z.string({ error: 'A valid hashtag name is required.' }).optional(),
  id: z.string({ error: 'A valid hashtag id is required.' }).optional(),
  count,
  cursor: hashtagCursor,
});

/** `cursor` absent or "0" starts from the newest post, as upstream. */
export const postsQuery = z.object({ secUid, count, cursor: postsCursor });

export const videoQuery = z.object({ id: z.string({ error: 'A valid video id is required.' }) });

export type QueryResult<T> = { ok: true; data: T } | { ok: false; fields: Record<string, string> };

/**
 * Validates a query string into TikAPI's `fields` error map. Empty values count as absent, because
 * clients routinely send `nextCursor=` on the first page.
 */
export function parseQuery<Schema extends z.ZodType>(schema: Schema, query: unknown): QueryResult<z.output<Schema>> {
  const cleaned: Record<string, unknown> = {};
  if (typeof query === 'object' && query !== null) {
    for (const [key, value] of Object.entries(query)) if (value !== '') cleaned[key] = value;
  }
  const result = schema.safeParse(cleaned);
  if (result.success) return { ok: true, data: result.data };
  const fields: Record<string, string> = {};
  for (const issue of result.error.issues) {
    const field = String(issue.path[0] ?? 'query');
    fields[field] ??= issue.message;
  }
  return { ok: false, fields };
}
