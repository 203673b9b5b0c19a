import { accountConnectStartedSchema, connectAccountBodySchema, errorEnvelopeSchema, oauthCallbackQuerySchema } from '@pubcrawl/contracts';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { ApiContext } from '../context';
import { ApiError } from '../errors';
import type { AuthFailureLimiter } from '../rate-limits';
import { noStore } from '../security-headers';
import { callbackPage, completeTikTokConnect, startTikTokConnect } from '../services/tiktok-connect';
import { receiveTikTokWebhook } from '../services/tiktok-webhooks';

/** POST /v1/accounts/connect: behind the API key like every /v1 resource. */
export const tiktokConnectRoutes = (context: ApiContext): FastifyPluginAsyncZod =>
  async function tiktokConnectPlugin(app) {
    app.post(
      '/accounts/connect',
      {
        schema: {
          summary: "Start connecting a TikTok account through TikTok's OAuth; send the creator to authorizeUrl",
          body: connectAccountBodySchema,
          response: { 201: accountConnectStartedSchema, 400: errorEnvelopeSchema },
        },
      },
      async (request, reply) => reply.status(201).send(await startTikTokConnect(context, request.body)),
    );
  };

const htmlPage = z.string().describe('A small text/html page that says what happened');

const webhookAnswerSchema = z.object({ received: z.literal(true), duplicate: z.boolean(), applied: z.boolean(), outcome: z.string() });

/**
 * The two routes TikTok's side calls, without an API key: the state authenticates the callback and
 * the signature the webhook. Refusals count against the caller's failed-login budget, like a wrong
 * API key, so guessing states or signatures costs the same as guessing keys.
 */
export const tiktokPublicRoutes = (context: ApiContext, failures: AuthFailureLimiter): FastifyPluginAsyncZod =>
  async function tiktokPublicPlugin(app) {
    app.addHook('onSend', noStore);

    app.get(
      '/oauth/tiktok/callback',
      {
        schema: {
          summary: "Where TikTok's authorize page sends the creator back; answers a small HTML page",
          querystring: oauthCallbackQuerySchema,
          // A query that fails validation is answered by the error handler, as JSON.
          response: { 200: htmlPage, 400: z.union([htmlPage, errorEnvelopeSchema]), 403: htmlPage, 409: htmlPage, 410: htmlPage, 429: errorEnvelopeSchema, 502: htmlPage },
        },
      },
      async (request, reply) => {
        await failures.assertAllowed(request, reply);
        const outcome = await completeTikTokConnect(context, request.query);
        if (outcome.kind === 'refused' && outcome.httpStatus !== 403) await failures.recordFailure(request);
        const page = callbackPage(outcome);
        return reply.status(page.httpStatus).type('text/html; charset=utf-8').send(page.html);
      },
    );

    // The signature covers the bytes as sent, so this scope keeps the body as they came.
    app.removeContentTypeParser('application/json');
    app.addContentTypeParser('application/json', { parseAs: 'buffer' }, (_request, body, done) => {
      done(null, body);
    });
    app.post(
      '/webhooks/tiktok',
      { schema: { summary: "TikTok's webhooks (TikTok-Signature verified, deduplicated)", response: { 200: webhookAnswerSchema, 400: errorEnvelopeSchema, 401: errorEnvelopeSchema, 429: errorEnvelopeSchema, 503: errorEnvelopeSchema } } },
      async (request, reply) => {
        await failures.assertAllowed(request, reply);
        const raw = Buffer.isBuffer(request.body) ? request.body : Buffer.from(typeof request.body === 'string' ? request.body : '');
        const signature = request.headers['tiktok-signature'];
        try {
          const result = await receiveTikTokWebhook(context, raw, Array.isArray(signature) ? signature[0] : signature);
          return { received: true as const, ...result };
        } catch (caught) {
          if (caught instanceof ApiError && caught.statusCode === 401) await failures.recordFailure(request);
          throw caught;
        }
      },
    );
  };
