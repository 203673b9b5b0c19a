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

export const isoDateTime = z.iso.datetime({ offset: true });
