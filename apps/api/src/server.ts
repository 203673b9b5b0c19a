import Fastify, { LogController, type FastifyBaseLogger } from 'fastify';
import { serializerCompiler, validatorCompiler, type ZodTypeProvider } from 'fastify-type-provider-zod';
import type { App } from './app-type';
import { createKeyVerifier, requireApiKey } from './auth';
import type { ApiContext } from './context';
import { registerBoard } from './board';
import { registerDocs } from './docs';
import { registerErrorHandling } from './error-handler';
import { registerMetrics } from './metrics';
import { healthRoutes } from './routes/health';
import { registerV1Routes } from './routes/index';

export async function buildServer(context: ApiContext): Promise<App> {
  const app = Fastify({
    // pino's Logger is a FastifyBaseLogger; the cast only erases pino's extra generic.
    loggerInstance: context.logger as FastifyBaseLogger,
    bodyLimit: context.env.BODY_LIMIT_BYTES,
    // Behind a proxy the client address matters for logs; trusting it is the deployer's choice.
    trustProxy: false,
    // One line per request is noise at info level; debug turns it back on.
    logController: new LogController({ disableRequestLogging: context.env.LOG_LEVEL !== 'debug' && context.env.LOG_LEVEL !== 'trace' }),
  }).withTypeProvider<ZodTypeProvider>();
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);
  registerErrorHandling(app);
  await registerDocs(app);

  await app.register(healthRoutes(context));

  const verify = createKeyVerifier(context.env.API_KEYS);
  await app.register(
    async (v1) => {
      v1.addHook('onRequest', requireApiKey(verify));
      await registerV1Routes(v1, context);
    },
    { prefix: '/v1' },
  );

  await registerBoard(app, context);
  await registerMetrics(app, context);

  return app;
}
