import type { z } from 'zod';

export type Parsed<T> = { ok: true; value: T } | { ok: false; field: string; error: string };

/**
 * zod's first issue as the dotted field it is about (`0.accountId`, `privacy_level_options.1`).
 * Unknown keys name the key itself rather than the object holding it, so `{surprise: 1}` is
 * reported as `surprise`, not as `body`.
 */
export function parseInput<T>(schema: z.ZodType<T>, input: unknown): Parsed<T> {
  const result = schema.safeParse(input);
  if (result.success) return { ok: true, value: result.data };
  const issue = result.error.issues[0];
  if (issue === undefined) return { ok: false, field: 'body', error: 'Invalid input' };
  const unknownKey = issue.code === 'unrecognized_keys' ? issue.keys[0] : undefined;
  const path = [...issue.path.map(String), ...(unknownKey === undefined ? [] : [unknownKey])];
  return { ok: false, field: path.join('.') || 'body', error: issue.message };
}
