import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { bearerToken } from './bearer-token';
import { ApiError } from './errors';
import type { AuthFailureLimiter } from './rate-limits';

/**
 * Bearer keys are compared as SHA-256 digests with timingSafeEqual: hashing first gives equal
 * lengths (timingSafeEqual requires them) without leaking a key's length through timing.
 */
export function createKeyVerifier(keys: readonly string[]): (presented: string) => boolean {
  const digests = keys.map((key) => createHash('sha256').update(key).digest());
  return (presented) => {
    const candidate = createHash('sha256').update(presented).digest();
    let matched = false;
    // Check every key, so the time taken does not reveal which one (if any) matched.
    for (const digest of digests) matched = timingSafeEqual(digest, candidate) || matched;
    return matched;
  };
}

/**
 * A missing key is a client that forgot it; a wrong key may be someone guessing, so wrong keys count
 * against the address's failed-login budget, and an address over it is refused before any check.
 */
export function requireApiKey(verify: (presented: string) => boolean, failures: AuthFailureLimiter) {
  return async (request: FastifyRequest, reply: FastifyReply): Promise<void> => {
    await failures.assertAllowed(request, reply);
    const token = bearerToken(request);
    if (token === null) throw new ApiError(401, 'not_authenticated', 'Missing bearer token: send "Authorization: Bearer <key>"');
    if (!verify(token)) {
      await failures.recordFailure(request);
      throw new ApiError(401, 'not_authenticated', 'Invalid API key');
    }
  };
}
