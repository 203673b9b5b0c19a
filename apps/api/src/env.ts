import { booleanFlag, commonEnv, upstreamEnv } from '@pubcrawl/config';
import { z } from 'zod';

export const apiEnvSchema = commonEnv.extend(upstreamEnv.shape).extend({
  HOST: z.string().default('0.0.0.0'),
  /** Bull Board is off unless both are set: an open board can delete and retry jobs. */
  BOARD_USERNAME: z.string().optional(),
  BOARD_PASSWORD: z.string().optional(),
  BOARD_READ_ONLY: booleanFlag(false),
  /** When true, /metrics requires the same bearer key as /v1. */
  METRICS_REQUIRE_AUTH: booleanFlag(false),
  /** Optional allow-list of media hosts for posts (comma-separated). */
  MEDIA_HOSTS: z.string().default(''),
  /**
   * Where webhooks go (the worker signs and delivers them). The API only records the events an
   * operator's action causes, such as resolving an unconfirmed post.
   */
  WEBHOOK_URL: z.url().optional(),
  /** Largest accepted request body; posts are small JSON, so a large body is an attack or a bug. */
  BODY_LIMIT_BYTES: z.coerce.number().int().positive().default(1_048_576),
});
export type ApiEnv = z.infer<typeof apiEnvSchema>;

export const apiEnvSource = process.env;
