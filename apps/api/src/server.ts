import Fastify, { LogController, type FastifyBaseLogger, type FastifyReply } from 'fastify';
import { serializerCompiler, validatorCompiler, type ZodTypeProvider } from 'fastify-type-provider-zod';
import type { App } from './app-type';
import { createKeyVerifier, requireApiKey } from './auth';
import { registerJsonBodyParser } from './body-parsing';
import type { ApiContext } from './context';
import { registerBoard } from './board';
import { registerDocs } from './docs';
import { registerErrorHandling } from './error-handler';
import type { ErrorEnvelope } from './errors';
import { registerMetrics } from './metrics';
import { registerRateLimits } from './rate-limits';
import { healthRoutes } from './routes/health';
import { registerV1Routes } from './routes/index';
import { tiktokPublicRoutes } from './routes/tiktok';
import { noStore, registerSecurityHeaders } from './security-headers';
import { refuseMalformedText } from './text-guard';

export async function buildServer(context: ApiContext): Promise<App> {
  // pino's Logger is a FastifyBaseLogger; widening it here keeps pino's extra generic out of App.
  const loggerInstance: FastifyBaseLogger = context.logger;
  const app = Fastify({
    loggerInstance,
    bodyLimit: context.env.BODY_LIMIT_BYTES,
    // Behind a proxy the client address matters for logs and the failed-login budget; trusting
    // X-Forwarded-For is the deployer's choice (TRUST_PROXY).
    trustProxy: context.env.TRUST_PROXY,
    // One line per request is noise at info level; debug turns it back on.
    logController: new LogController({ disableRequestLogging: context.env.LOG_LEVEL !== 'debug' && context.env.LOG_LEVEL !== 'trace' }),
    // The router's own refusals (a URL that does not decode, a path segment past maxParamLength)
    // come here rather than through the error handler; they get the same envelope.
    frameworkErrors: (error, _request, reply: FastifyReply) => {
      void reply.status(400).send({ error: { code: 'invalid_input', message: `The request URL is not valid: ${error.message}`, fields: { url: 'malformed' } } } satisfies ErrorEnvelope);
    },
  }).withTypeProvider<ZodTypeProvider>();
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);
  registerErrorHandling(app);
  registerJsonBodyParser(app);
  await registerSecurityHeaders(app);
  const rateLimits = await registerRateLimits(app, context);
  await registerDocs(app);

  await app.register(healthRoutes(context));

  const verify = createKeyVerifier(context.env.API_KEYS);
  await app.register(
    async (v1) => {
      v1.addHook('onRequest', requireApiKey(verify, rateLimits.authFailures));
      v1.addHook('onRequest', rateLimits.perApiKey);
      v1.addHook('onSend', noStore);
      // Before any route's schema: one rule for every string of every /v1 request.
      v1.addHook('preValidation', refuseMalformedText);
      await registerV1Routes(v1, context);
    },
    { prefix: '/v1' },
  );

  // TikTok calls these without an API key: the OAuth state and the webhook signature authenticate them.
  await app.register(tiktokPublicRoutes(context, rateLimits.authFailures), { prefix: '/v1' });

  await registerBoard(app, context, rateLimits.authFailures);
  await registerMetrics(app, context, rateLimits.authFailures);

  return app;
}
