import { createHash } from 'node:crypto';
import rateLimit from '@fastify/rate-limit';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { App } from './app-type';
import { bearerToken } from './bearer-token';
import type { ApiContext } from './context';
import { ApiError } from './errors';

const WINDOW_MS = 60_000;

export interface AuthFailureLimiter {
  /**
   * Throws a 429 (and sets Retry-After) when this client address has used up its failed logins for
   * the window.
   */
  assertAllowed(request: FastifyRequest, reply: FastifyReply): Promise<void>;
  /** Counts one failed login for this client address. */
  recordFailure(request: FastifyRequest): Promise<void>;
}

export interface RateLimits {
  authFailures: AuthFailureLimiter;
  /** An onRequest hook for /v1, run after authentication: API_RATE_LIMIT_PER_MINUTE per key. */
  perApiKey: ReturnType<App['rateLimit']>;
}

export function tooManyRequests(message: string): ApiError {
  return new ApiError(429, 'rate_limited', message);
}

/** Keys are hashed before they become Redis key names, so a key never sits in Redis in the clear. */
export function apiKeyBucket(token: string): string {
  return createHash('sha256').update(token).digest('hex').slice(0, 32);
}

/**
 * Fleet-wide limits, counted in Redis by @fastify/rate-limit so every API replica shares them:
 * requests per API key, and failed logins (/v1 keys and the board password) per client address, so
 * guessing a key or a password costs a minute per AUTH_FAILURES_PER_MINUTE tries. A Redis outage
 * lets requests through (`skipOnError`) rather than turning every call into an error: the queues
 * need Redis anyway, and a limiter must never be the reason the API is down.
 */
export async function registerRateLimits(app: App, context: ApiContext): Promise<RateLimits> {
  await app.register(rateLimit, {
    global: false,
    redis: context.redis,
    nameSpace: `${context.env.QUEUE_PREFIX}:rate-limit:`,
    skipOnError: true,
    timeWindow: WINDOW_MS,
    errorResponseBuilder: (_request, limit) => tooManyRequests(`Too many requests: ${limit.max} a minute are allowed; retry in ${limit.after}`),
  });

  const failures = app.createRateLimit({
    max: context.env.AUTH_FAILURES_PER_MINUTE,
    timeWindow: WINDOW_MS,
    keyGenerator: (request) => `auth-failures:${request.ip}`,
  });
  const authFailures: AuthFailureLimiter = {
    async assertAllowed(request, reply) {
      const state = await failures(request, { increment: false });
      if (state.isAllowed || state.remaining > 0) return;
      const retryAfter = Math.max(1, state.ttlInSeconds);
      void reply.header('retry-after', String(retryAfter));
      throw tooManyRequests(`Too many failed logins from this address; retry in ${retryAfter} s`);
    },
    async recordFailure(request) {
      await failures(request);
    },
  };

  const perKey = app.rateLimit({
    max: context.env.API_RATE_LIMIT_PER_MINUTE,
    timeWindow: WINDOW_MS,
    // The key itself, not the header's spelling: `Bearer k` and `bearer   k` share one budget.
    // Runs after authentication, so the key is present and valid.
    keyGenerator: (request) => `api-key:${apiKeyBucket(bearerToken(request) ?? '')}`,
  });
  return { authFailures, perApiKey: perKey };
}
