import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { describeAccount } from './accounts';
import { abandon, installApiGuard, sendRateLimited } from './api-guard';
import { clientErrorStatus, toError } from './errors';
import { readAccountId, validatePost, type ValidPost } from './posting-validation';
import { FAIL_REASON, publishContentHash } from './publish-lifecycle';
import { parseInput } from './input';
import { QR_ALREADY_USED, QR_IMAGE, QR_TTL_S } from './qr-login';
import { posting } from './replies';
import type { SandboxState } from './state';

const statusParams = z.object({ accountId: z.string().min(1), publishId: z.string().min(1) });
const accountParams = z.object({ accountId: z.string().min(1) });
// Loose like the rest of the upstream: unknown keys are ignored, not refused.
const qrRequestBody = z.object(
  {
    unique_id: z
      .string({ error: 'unique_id must be a string' })
      .min(8, 'unique_id must be at least 8 characters')
      .max(128, 'unique_id must be at most 128 characters')
      .optional(),
  },
  { error: 'the body must be an object' },
);
const qrCheckBody = z.object(
  { token: z.string({ error: 'token is required' }).min(1, 'token is required') },
  { error: 'the body must be an object' },
);

/** Magic substrings in media URLs; see the README. */
const HANG_MARKER = 'hang';
const FAIL_MARKER = 'fail';

const VIDEO_BYTES = 12_582_912;
const PHOTO_BYTES = 524_288;

function mediaBytes(post: ValidPost): number {
  return post.mediaType === 'video' ? VIDEO_BYTES : PHOTO_BYTES * post.mediaUrls.length;
}

/** The posting API (api-tiktok.wahdx.co shape). */
export function registerPostingRoutes(app: FastifyInstance, state: SandboxState): void {
  installApiGuard(app, state, { unauthorized: posting.unauthorized, rateLimited: posting.rateLimited });

  app.setErrorHandler((caught, request, reply) => {
    const error = toError(caught);
    const status = clientErrorStatus(error);
    if (status !== null) return reply.code(status).send(posting.invalidParams('body', error.message));
    request.log.error({ err: error }, 'posting route failed');
    return reply.code(500).send(posting.serverError('Internal sandbox error'));
  });

  app.post('/api/content/post', async (request, reply) => {
    const accountId = readAccountId(request.body);
    if (accountId === null) return reply.code(400).send(posting.invalidParams('accountId', 'accountId is required'));
    if (state.sessions.isExpired(accountId)) return reply.code(401).send(posting.tokenInvalid());
    const { accountLimits } = state.config;
    const limit = state.accountLimits.check(accountLimits, 'publish', accountId);
    if (!limit.allowed) return sendRateLimited(reply, limit.waitMs, posting.rateLimited());

    const validation = validatePost(request.body);
    if (!validation.ok) return reply.code(400).send(posting.invalidParams(validation.field, validation.error));
    const { post } = validation;

    const { dailyPostCap, day } = state.config;
    // After validation, so only posts TikTok would have accepted count towards the cap.
    if (!state.dailyPosts.allows(dailyPostCap, day, accountId)) return reply.code(403).send(posting.dailyCapReached());

    // Only accepted publishes use up the per-account allowance; a rejected body is not an "init".
    if (accountLimits !== null) state.accountLimits.record('publish', accountId);
    state.dailyPosts.record(day, accountId);
    // Recorded before any hang: a request the client never hears back about still reached "TikTok",
    // which is exactly the ambiguity duplicate-publish tests need to see.
    state.stats.recordPublish(accountId, publishContentHash(post));
    state.providerAccounts.remember(accountId);
    const record = state.publishes.create({
      accountId,
      // The name the provider lists now; a later rename does not move a published video.
      username: (state.providerAccounts.find(accountId) ?? describeAccount(accountId)).username,
      caption: post.content ?? post.photoTitle ?? '',
      privacyLevel: post.privacyLevel,
      day: state.config.day,
      mediaType: post.mediaType,
      draft: post.draft,
      failReason: post.mediaUrls.some((url) => url.includes(FAIL_MARKER)) ? FAIL_REASON : null,
      durationMs: state.config.publishDurationMs,
      sizeBytes: mediaBytes(post),
    });
    if (post.mediaUrls.some((url) => url.includes(HANG_MARKER))) return abandon(state, request, reply, 'hang');
    return { success: true, data: { publish_id: record.publishId }, mediaType: post.mediaType };
  });

  app.get('/api/content/status/:accountId/:publishId', async (request, reply) => {
    const params = statusParams.safeParse(request.params);
    if (!params.success) return reply.code(404).send(posting.notFound());
    const { accountId, publishId } = params.data;
    if (state.sessions.isExpired(accountId)) return reply.code(401).send(posting.tokenInvalid());
    const limit = state.accountLimits.consume(state.config.accountLimits, 'status', accountId);
    if (!limit.allowed) return sendRateLimited(reply, limit.waitMs, posting.rateLimited());
    const record = state.publishes.find(accountId, publishId);
    if (record === null) return reply.code(404).send(posting.notFound());
    return { success: true, data: state.publishes.statusOf(record) };
  });

  app.get('/api/content/creator-info/:accountId', async (request, reply) => {
    const params = accountParams.safeParse(request.params);
    if (!params.success) return reply.code(404).send(posting.notFound());
    const { accountId } = params.data;
    if (state.sessions.isExpired(accountId)) return reply.code(401).send(posting.tokenInvalid());
    const limit = state.accountLimits.consume(state.config.accountLimits, 'creatorInfo', accountId);
    if (!limit.allowed) return sendRateLimited(reply, limit.waitMs, posting.rateLimited());
    // The names the provider lists for the account (a QR link or an admin list may have set them).
    const account = state.providerAccounts.find(accountId) ?? describeAccount(accountId);
    return {
      success: true,
      data: {
        creator_avatar_url: `https://p16-sign-va.tiktokcdn.com/sandbox/creator/${encodeURIComponent(accountId)}.jpeg`,
        creator_username: account.username,
        creator_nickname: account.display_name,
        ...state.creatorSettings.get(accountId),
        max_video_post_duration_sec: 600,
      },
    };
  });

  app.get('/api/content/accounts', async () => ({
    success: true,
    subscription: state.config.subscription,
    data: state.providerAccounts.list(),
  }));

  app.post('/api/content/qr-login/request', async (request, reply) => {
    const { subscription } = state.config;
    if (subscription !== 'maximum') return reply.code(403).send(posting.subscriptionRequired(subscription));
    const body = parseInput(qrRequestBody, request.body ?? {});
    if (!body.ok) return reply.code(400).send(posting.invalidParams(body.field, body.error));
    const login = state.qrLogins.request(body.value.unique_id);
    return { success: true, data: { qrCodeImage: QR_IMAGE, token: login.token, unique_id: login.uniqueId, expiresIn: QR_TTL_S } };
  });

  app.post('/api/content/qr-login/check', async (request, reply) => {
    const body = parseInput(qrCheckBody, request.body ?? {});
    if (!body.ok) return reply.code(400).send(posting.invalidParams(body.field, body.error));
    const check = state.qrLogins.check(body.value.token);
    if (check === null) return reply.code(404).send(posting.notFound('QR token not found'));
    const base = { status: check.status, unique_id: check.login.uniqueId };
    if (check.status === 'confirmed' && check.account !== null) {
      const { accountId, display_name, username } = check.account;
      return { success: true, data: { ...base, account: { accountId, display_name, username } } };
    }
    if (check.status === 'utilised') return { success: true, data: { ...base, message: QR_ALREADY_USED } };
    return { success: true, data: base };
  });
}
