import { setTimeout as sleep } from 'node:timers/promises';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { effectiveBurst } from './config';
import { rollFault } from './faults';
import { retryAfterSeconds } from './quota';
import { FAULT_BODY } from './replies';
import type { SandboxState } from './state';
import type { NoResponse } from './stats';

export interface GuardBodies {
  unauthorized: () => object;
  rateLimited: () => object;
}

/** Stats key: the route pattern, so `/api/content/status/a/b` and `/…/c/d` count together. */
export function endpointKey(request: FastifyRequest): string {
  return `${request.method} ${request.routeOptions.url ?? request.url}`;
}

/** Reads a header that must be a non-empty string; repeated or blank headers count as missing. */
export function headerValue(request: FastifyRequest, name: string): string | null {
  const value = request.headers[name];
  return typeof value === 'string' && value.trim() !== '' ? value : null;
}

/** Sends a 429 with both the coarse header clients are built for and the precise one benchmarks want. */
export function sendRateLimited(reply: FastifyReply, waitMs: number, body: object): FastifyReply {
  return reply
    .code(429)
    .header('Retry-After', String(retryAfterSeconds(waitMs)))
    .header('X-RateLimit-Reset-Ms', String(Math.ceil(waitMs)))
    .send(body);
}

/** Leaves a request without a response: the socket is destroyed now (`reset`) or after `hangMs`. */
export function abandon(state: SandboxState, request: FastifyRequest, reply: FastifyReply, how: NoResponse): FastifyReply {
  state.stats.recordResponse(endpointKey(request), how);
  reply.hijack();
  const socket = request.raw.socket;
  if (how === 'reset') socket.destroy();
  else state.hung.hold(socket, state.config.hangMs);
  request.log.debug({ fault: how, url: request.url }, 'sandbox fault');
  return reply;
}

/**
 * Auth, quota and injected faults, in that order, for every route of one upstream API, plus the
 * per-endpoint status counters. Runs in `onRequest` so a rejected request never has its body parsed.
 */
export function installApiGuard(app: FastifyInstance, state: SandboxState, bodies: GuardBodies): void {
  app.addHook('onRequest', async (request, reply) => {
    const apiKey = headerValue(request, 'x-api-key');
    if (apiKey === null) return reply.code(401).send(bodies.unauthorized());

    const { config } = state;
    const quota = state.quota.take(apiKey, config.quotaPerSecond, effectiveBurst(config));
    if (!quota.allowed) return sendRateLimited(reply, quota.waitMs, bodies.rateLimited());

    const fault = rollFault(config, state.random);
    if (config.latencyMs > 0) await sleep(config.latencyMs);
    if (fault === 'error') return reply.code(500).send(FAULT_BODY);
    if (fault === 'reset' || fault === 'hang') return abandon(state, request, reply, fault);
    return undefined;
  });

  app.addHook('onSend', (request, reply, payload, done) => {
    state.stats.recordResponse(endpointKey(request), reply.statusCode);
    done(null, payload);
  });
}
