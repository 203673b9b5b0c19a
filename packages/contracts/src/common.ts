import { z } from 'zod';

export const errorEnvelopeSchema = z
  .object({
    error: z.object({
      code: z.string().describe('invalid_input | json_error | not_authenticated | not_found | conflict | server_error'),
      message: z.string(),
      fields: z.record(z.string(), z.string()).optional().describe('Field name → what is wrong with it'),
    }),
  })
  .describe('Every error response has this shape');

export const uuidParamsSchema = z.object({ id: z.uuid() });

/** `limit` and an opaque `cursor` from a previous page's `nextCursor`. */
export const pageQuerySchema = z.object({
  limit: z.coerce.number().int().min(1).max(100).default(20),
  cursor: z.string().min(1).max(500).optional(),
});

export const pageOf = <Item extends z.ZodType>(item: Item) =>
  z.object({ items: z.array(item), nextCursor: z.string().nullable().describe('Pass as ?cursor= to get the next page; null at the end') });

/** The first and the last instant the API accepts and returns: years 0001 to 9999, in UTC. */
// Parsed, not Date.UTC(1, 0, 1): Date.UTC reads years 0-99 as 1900-1999.
export const EARLIEST_INSTANT_MS = Date.parse('0001-01-01T00:00:00.000Z');
export const LATEST_INSTANT_MS = Date.parse('9999-12-31T23:59:59.999Z');

/**
 * ISO 8601 with an offset, an instant in years 0001-9999 UTC: Postgres has no year 0, and
 * toISOString writes a later year as `+010000-…`, which no client expects back.
 */
export const isoDateTime = z.iso.datetime({ offset: true }).refine((value) => {
  const at = Date.parse(value);
  return at >= EARLIEST_INSTANT_MS && at <= LATEST_INSTANT_MS;
}, 'must be a time in years 0001-9999 (UTC)');
