import { appliedMigrationCount, expectedMigrationCount, pingDatabase } from '@pubcrawl/db';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { ApiContext } from '../context';
import { toError } from '@pubcrawl/errors';

const CHECK_TIMEOUT_MS = 2_000;

async function withTimeout<T>(promise: Promise<T>, label: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      promise,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`${label} did not answer within ${CHECK_TIMEOUT_MS} ms`)), CHECK_TIMEOUT_MS);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

function describe(caught: unknown): string {
  const error = toError(caught);
  return error.message || error.name;
}

const checkSchema = z.object({ ok: z.boolean(), error: z.string().optional() });
const readySchema = z.object({
  status: z.enum(['ready', 'not_ready']),
  checks: z.object({ postgres: checkSchema, migrations: checkSchema, redis: checkSchema }),
});

export const healthRoutes = (context: ApiContext): FastifyPluginAsyncZod =>
  async function health(app) {
    app.get(
      '/healthz',
      { schema: { hide: true, response: { 200: z.object({ status: z.literal('ok') }) } } },
      async () => ({ status: 'ok' as const }),
    );

    app.get('/readyz', { schema: { hide: true, response: { 200: readySchema, 503: readySchema } } }, async (_request, reply) => {
      const [postgres, migrations, redis] = await Promise.all([
        withTimeout(pingDatabase(context.db.pool), 'postgres').then(
          () => ({ ok: true }),
          (caught: unknown) => ({ ok: false, error: describe(caught) }),
        ),
        withTimeout(Promise.all([appliedMigrationCount(context.db.pool), expectedMigrationCount()]), 'postgres').then(
          ([applied, expected]) => (applied >= expected ? { ok: true } : { ok: false, error: `${applied} of ${expected} migrations applied` }),
          (caught: unknown) => ({ ok: false, error: describe(caught) }),
        ),
        withTimeout(context.redis.ping(), 'redis').then(
          () => ({ ok: true }),
          (caught: unknown) => ({ ok: false, error: describe(caught) }),
        ),
      ]);
      const ready = postgres.ok && migrations.ok && redis.ok;
      return reply.status(ready ? 200 : 503).send({ status: ready ? 'ready' : 'not_ready', checks: { postgres, migrations, redis } });
    });
  };
