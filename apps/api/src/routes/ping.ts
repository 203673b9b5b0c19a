import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { ApiContext } from '../context';

/** An authenticated no-op: lets a client check its key without touching any resource. */
export const pingRoutes = (_context: ApiContext): FastifyPluginAsyncZod =>
  async function ping(app) {
    app.post(
      '/ping',
      {
        schema: {
          summary: 'Check an API key; echoes the JSON body it was sent',
          body: z.object({ echo: z.string().max(1000).optional() }).nullish(),
          response: { 200: z.object({ ok: z.literal(true), echo: z.string().optional() }) },
        },
      },
      async (request) => ({ ok: true as const, ...(request.body?.echo === undefined ? {} : { echo: request.body.echo }) }),
    );
  };
