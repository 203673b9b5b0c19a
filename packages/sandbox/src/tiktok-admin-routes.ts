import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { parseInput } from './input';
import type { SandboxState } from './state';
import { tiktokCreatorPatchSchema, tiktokErrorInjectionSchema } from './tiktok-twin';

export const TIKTOK_ADMIN_PREFIX = '/tiktok';

const openIdParams = z.object({ openId: z.string().min(1) });

const appBody = z.strictObject(
  {
    client_key: z.string({ error: 'client_key must be a string' }).min(1, 'client_key must not be empty').optional(),
    client_secret: z.string({ error: 'client_secret must be a string' }).min(1, 'client_secret must not be empty').optional(),
  },
  { error: 'the body must be an object' },
);

const webhookBody = z.strictObject(
  {
    url: z.url({ error: 'url must be an absolute URL' }).nullable(),
    duplicate: z.boolean({ error: 'duplicate must be a boolean' }).optional(),
  },
  { error: 'the body must be an object' },
);

const videoListBody = z.strictObject(
  { include_private: z.boolean({ error: 'include_private must be a boolean' }) },
  { error: 'the body must be an object' },
);

const lostAnswersBody = z.strictObject(
  {
    endpoint: z.enum(['video_init', 'inbox_init', 'content_init'], { error: 'endpoint must be video_init, inbox_init or content_init' }),
    count: z.number({ error: 'count must be a number' }).int().min(1).max(1_000).default(1),
  },
  { error: 'the body must be an object' },
);

/**
 * `/__sandbox/tiktok/...`: test control of the TikTok v2 twin. Registered inside the admin plugin,
 * so it shares its lenient JSON parser and `{ok: false, error, field}` refusals.
 */
export function registerTikTokAdminRoutes(app: FastifyInstance, state: SandboxState): void {
  const twin = state.tiktok;

  const readOpenId = (request: FastifyRequest, reply: FastifyReply): string | null => {
    const params = openIdParams.safeParse(request.params);
    if (params.success) return params.data.openId;
    void reply.code(400).send({ ok: false, error: 'openId is required', field: 'openId' });
    return null;
  };

  app.get('/app', async () => ({ client_key: twin.oauth.clientKey, client_secret: twin.oauth.clientSecret, webhook_url: twin.webhooks.url, duplicate: twin.webhooks.duplicate }));

  app.put('/app', async (request, reply) => {
    const body = parseInput(appBody, request.body ?? {});
    if (!body.ok) return reply.code(400).send({ ok: false, error: body.error, field: body.field });
    if (body.value.client_key !== undefined) twin.oauth.clientKey = body.value.client_key;
    if (body.value.client_secret !== undefined) twin.oauth.clientSecret = body.value.client_secret;
    return { client_key: twin.oauth.clientKey, client_secret: twin.oauth.clientSecret };
  });

  app.post('/deny-next-authorize', async () => {
    twin.oauth.denyNext = true;
    return { denyNext: true };
  });

  app.post('/users/:openId/expire-access-token', async (request, reply) => {
    const openId = readOpenId(request, reply);
    if (openId === null) return reply;
    return { openId, expired: twin.oauth.expireAccess(openId) };
  });

  app.post('/users/:openId/revoke', async (request, reply) => {
    const openId = readOpenId(request, reply);
    if (openId === null) return reply;
    const revoked = twin.oauth.revoke(openId);
    // Reason 1 is "user disconnects from TikTok app", the usual way an authorization disappears.
    if (revoked) twin.webhooks.enqueue({ clientKey: twin.oauth.clientKey, event: 'authorization.removed', openId, content: { reason: 1 } });
    return { openId, revoked };
  });

  app.put('/creator-info/:openId', async (request, reply) => {
    const openId = readOpenId(request, reply);
    if (openId === null) return reply;
    const body = parseInput(tiktokCreatorPatchSchema, request.body ?? {});
    if (!body.ok) return reply.code(400).send({ ok: false, error: body.error, field: body.field });
    return { openId, ...twin.setCreatorInfo(openId, body.value) };
  });

  app.post('/errors', async (request, reply) => {
    const body = parseInput(tiktokErrorInjectionSchema, request.body ?? {});
    if (!body.ok) return reply.code(400).send({ ok: false, error: body.error, field: body.field });
    twin.injectError(body.value);
    return body.value;
  });

  /** The next `count` accepted inits on `endpoint` publish, but their answers are lost (dropped connection). */
  app.post('/lose-answers', async (request, reply) => {
    const body = parseInput(lostAnswersBody, request.body ?? {});
    if (!body.ok) return reply.code(400).send({ ok: false, error: body.error, field: body.field });
    twin.loseAnswers(body.value.endpoint, body.value.count);
    return body.value;
  });

  /** Whether `/v2/video/list/` shows `SELF_ONLY` posts (default true; false is TikTok's documented "public posts"). */
  app.put('/video-list', async (request, reply) => {
    const body = parseInput(videoListBody, request.body ?? {});
    if (!body.ok) return reply.code(400).send({ ok: false, error: body.error, field: body.field });
    twin.videoListIncludesPrivate = body.value.include_private;
    return { include_private: twin.videoListIncludesPrivate };
  });

  app.put('/webhook', async (request, reply) => {
    const body = parseInput(webhookBody, request.body ?? {});
    if (!body.ok) return reply.code(400).send({ ok: false, error: body.error, field: body.field });
    twin.webhooks.url = body.value.url;
    if (body.value.duplicate !== undefined) twin.webhooks.duplicate = body.value.duplicate;
    return { url: twin.webhooks.url, duplicate: twin.webhooks.duplicate };
  });

  /** Queues what has finished and delivers everything due now, answering with this round's deliveries. */
  app.post('/webhook/flush', async () => {
    twin.announceFinished();
    return { deliveries: await twin.webhooks.deliverDue(twin.oauth.clientSecret), pending: twin.webhooks.pendingCount() };
  });

  app.get('/webhook/deliveries', async () => twin.webhooks.deliveries());
}
