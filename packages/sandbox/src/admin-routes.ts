import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { parseConfigPatch, type SandboxConfig } from './config';
import { clientErrorStatus, toError } from './errors';
import type { SandboxState } from './state';

export const ADMIN_PREFIX = '/__sandbox';

class BadJsonError extends Error {
  override readonly name = 'BadJsonError';
  readonly statusCode = 400;
}

const keyParams = z.object({ key: z.string().min(1) });

/** A copy, so callers holding the returned object cannot reach into live state. */
export function configView(config: SandboxConfig): SandboxConfig {
  return { ...config, accountLimits: config.accountLimits === null ? null : { ...config.accountLimits } };
}

/**
 * Test-control endpoints. They sit outside the API guards on purpose: no auth, no quota, no faults,
 * and no stats, so a test can inspect the sandbox without disturbing what it measures.
 */
export function registerAdminRoutes(app: FastifyInstance, state: SandboxState): void {
  // Scripts often send `content-type: application/json` with no body on POST /reset; Fastify's
  // default parser rejects that, which would make resetting the sandbox the flaky part of a test.
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (_request, body, done) => {
    const text = typeof body === 'string' ? body : body.toString('utf8');
    if (text.trim() === '') return done(null, undefined);
    try {
      done(null, JSON.parse(text));
    } catch (caught) {
      done(new BadJsonError(toError(caught).message), undefined);
    }
  });

  app.setErrorHandler((caught, request, reply) => {
    const error = toError(caught);
    const status = clientErrorStatus(error);
    if (status !== null) return reply.code(status).send({ ok: false, error: error.message, field: 'body' });
    request.log.error({ err: error }, 'admin route failed');
    return reply.code(500).send({ ok: false, error: 'Internal sandbox error' });
  });

  app.get('/health', async () => ({ ok: true }));

  app.post('/reset', async () => {
    state.reset();
    return { ok: true };
  });

  app.get('/config', async () => configView(state.config));

  app.put('/config', async (request, reply) => {
    const parsed = parseConfigPatch(request.body ?? {});
    if (!parsed.ok) return reply.code(400).send({ ok: false, error: parsed.error, field: parsed.field });
    return configView(state.configure(parsed.patch));
  });

  app.post('/accounts/:key/expire', async (request, reply) => {
    const params = keyParams.safeParse(request.params);
    if (!params.success) return reply.code(400).send({ ok: false, error: 'key is required', field: 'key' });
    state.sessions.expire(params.data.key);
    return { key: params.data.key, expired: true };
  });

  app.post('/accounts/:key/restore', async (request, reply) => {
    const params = keyParams.safeParse(request.params);
    if (!params.success) return reply.code(400).send({ ok: false, error: 'key is required', field: 'key' });
    state.sessions.restore(params.data.key);
    return { key: params.data.key, expired: false };
  });

  app.get('/stats', async () => state.stats.snapshot());
}
