import { z } from 'zod';
import { isoDateTime } from './common';

/** A TikTok handle, with or without its '@': letters, digits, '_' and '.', as TikTok allows. */
export const profileParamsSchema = z.object({ username: z.string().regex(/^@?[A-Za-z0-9_.]{1,64}$/, 'must be a TikTok handle (letters, digits, _ and .)') }).strict();

export const videoParamsSchema = z.object({ videoId: z.string().regex(/^\d{1,32}$/, 'must be a TikTok video id (digits)') }).strict();

export const lookupQuerySchema = z
  .object({
    maxAge: z.coerce
      .number()
      .int()
      .min(0)
      .max(31_536_000)
      .optional()
      .describe('Seconds: a stored answer younger than this is returned without an upstream call; 0 forces a fetch'),
  })
  .strict();

const lookupSource = z.enum(['cache', 'upstream']).describe('cache: answered from Postgres; upstream: fetched for this request');

export const profileLookupSchema = z.object({
  username: z.string(),
  userId: z.string().nullable(),
  secUid: z.string().nullable(),
  nickname: z.string().nullable(),
  privateAccount: z.boolean(),
  stats: z.object({ followers: z.number().nullable(), following: z.number().nullable(), likes: z.number().nullable(), videos: z.number().nullable() }).nullable(),
  source: lookupSource,
  fetchedAt: z.string(),
});

export const videoLookupSchema = z.object({
  id: z.string(),
  authorId: z.string().nullable(),
  description: z.string().nullable(),
  postedAt: z.string().nullable(),
  stats: z.object({ plays: z.number().nullable(), likes: z.number().nullable(), comments: z.number().nullable(), shares: z.number().nullable() }).nullable(),
  source: lookupSource,
  fetchedAt: z.string(),
});

export const HISTORY_FORMATS = ['json', 'ndjson', 'csv'] as const;

export const historyQuerySchema = z
  .object({
    from: isoDateTime.optional(),
    to: isoDateTime.optional(),
    limit: z.coerce.number().int().min(1).max(10_000).default(1_000).describe('JSON answers only; NDJSON and CSV stream every point in the range'),
    format: z.enum(HISTORY_FORMATS).optional(),
  })
  .strict()
  .refine((query) => query.from === undefined || query.to === undefined || new Date(query.from) <= new Date(query.to), { message: 'must not be after to', path: ['from'] });

export const profilePointSchema = z.object({
  takenAt: z.string(),
  followers: z.number().nullable(),
  following: z.number().nullable(),
  likes: z.number().nullable(),
  videos: z.number().nullable(),
  crawlId: z.string().nullable(),
});

export const profileHistorySchema = z.object({ username: z.string(), points: z.array(profilePointSchema) });

export const videoPointSchema = z.object({
  takenAt: z.string(),
  plays: z.number().nullable(),
  likes: z.number().nullable(),
  comments: z.number().nullable(),
  shares: z.number().nullable(),
  crawlId: z.string().nullable(),
  postId: z.string().nullable(),
});

export const videoHistorySchema = z.object({ videoId: z.string(), points: z.array(videoPointSchema) });
