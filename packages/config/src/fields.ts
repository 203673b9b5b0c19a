import { z } from 'zod';

/** A TCP port number, coerced from the environment string. */
export const port = (fallback: number) => z.coerce.number().int().min(0).max(65535).default(fallback);

/** Milliseconds, coerced; environment values are always strings. */
export const durationMs = (fallback: number) => z.coerce.number().int().nonnegative().default(fallback);

/**
 * `true`/`false`/`1`/`0`/`yes`/`no`. `z.coerce.boolean()` would treat the string "false" as true,
 * which is the classic env-var footgun.
 */
export const booleanFlag = (fallback: boolean) =>
  z
    .enum(['true', 'false', '1', '0', 'yes', 'no', ''])
    .default(fallback ? 'true' : 'false')
    .transform((value) => value === 'true' || value === '1' || value === 'yes');

/** A comma-separated list; blanks are dropped so `A,,B,` is `[A, B]`. */
export const commaList = () =>
  z
    .string()
    .default('')
    .transform((value) =>
      value
        .split(',')
        .map((item) => item.trim())
        .filter((item) => item.length > 0),
    );
