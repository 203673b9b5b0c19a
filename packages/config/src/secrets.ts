import type { z } from 'zod';

/** What an operator runs to make a CREDENTIALS_KEY; quoted in both the refusal and the warning. */
export const CREDENTIALS_KEY_HINT = 'generate one with `openssl rand -hex 32`';

/**
 * A `superRefine` for every process that builds a credentials cipher (api, worker). Without
 * CREDENTIALS_KEY the cipher derives its key from DATABASE_URL, so anyone who can read that URL
 * can decrypt every stored account key: acceptable on a laptop, refused in production.
 */
export function requireCredentialsKeyInProduction(env: { NODE_ENV: string; CREDENTIALS_KEY?: string | undefined }, context: z.RefinementCtx): void {
  if (env.NODE_ENV === 'production' && env.CREDENTIALS_KEY === undefined) {
    context.addIssue({
      code: 'custom',
      path: ['CREDENTIALS_KEY'],
      message: `is required when NODE_ENV=production: without it stored account keys are encrypted with a key derived from DATABASE_URL (${CREDENTIALS_KEY_HINT})`,
    });
  }
}

/** The one warning line a development process prints when it falls back to the derived key. */
export function derivedCredentialsKeyWarning(env: { NODE_ENV: string; CREDENTIALS_KEY?: string | undefined }): string | null {
  if (env.CREDENTIALS_KEY !== undefined) return null;
  return `CREDENTIALS_KEY is unset: stored account keys are encrypted with a key derived from DATABASE_URL, which anyone who has that URL can rebuild. Fine for ${env.NODE_ENV}; production refuses to start without it (${CREDENTIALS_KEY_HINT})`;
}
