import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { endpointKey, sendRateLimited } from './api-guard';
import type { AccountLimitKind } from './account-limits';
import { clientErrorStatus, toError } from './errors';
import { parseInput } from './input';
import { PRIVACY_LEVELS, type PrivacyLevel } from './posting-validation';
import { publishContentHash } from './publish-lifecycle';
import type { SandboxState } from './state';
import { checkChunkDeclaration, MAX_FINAL_CHUNK_BYTES, parseContentRange, type ChunkDeclaration } from './tiktok-chunks';
import { TIKTOK_SCOPES, type AccessTokenRecord, type OAuthFailure } from './tiktok-oauth';
import { TIKTOK_FAIL_MARKER, TIKTOK_FAIL_REASON, type TikTokPublishType } from './tiktok-publishes';
import { logId, openIdFor, TIKTOK_V2_ERRORS, type TikTokEndpoint, type TikTokV2ErrorCode } from './tiktok-twin';
import { requestedVideoFields, VIDEO_LIST_DEFAULT_COUNT, videoListBody, videoListPage, videoListQuery, videoObject } from './tiktok-video-list';

export const TIKTOK_UPLOAD_PATH = '/upload/video/';

const USER_FIELDS = ['open_id', 'union_id', 'avatar_url', 'display_name', 'username'] as const;

function sendError(reply: FastifyReply, code: TikTokV2ErrorCode, message?: string): FastifyReply {
  const known = TIKTOK_V2_ERRORS[code];
  return reply.code(known.status).send({ error: { code, message: message ?? known.message, log_id: logId() } });
}

function ok<T extends object>(data: T) {
  return { data, error: { code: 'ok', message: '', log_id: logId() } };
}

function oauthError(reply: FastifyReply, failure: Pick<OAuthFailure, 'error' | 'description'>): FastifyReply {
  return reply.code(failure.error === 'invalid_client' ? 401 : 400).send({ error: failure.error, error_description: failure.description, log_id: logId() });
}

const authorizeQuery = z.object({
  client_key: z.string({ error: 'client_key is required' }).min(1, 'client_key is required'),
  scope: z.string({ error: 'scope is required' }).min(1, 'scope is required'),
  redirect_uri: z.url({ error: 'redirect_uri must be an absolute URL' }),
  state: z.string().optional(),
  response_type: z.literal('code', { error: "response_type must be 'code'" }),
  code_challenge: z.string().min(1).optional(),
  code_challenge_method: z.literal('S256', { error: "code_challenge_method must be 'S256'" }).optional(),
  /** Sandbox-only: which user signs in (default `creator_1`), and a per-URL denial. */
  sandbox_user: z.string().regex(/^[A-Za-z0-9_.-]{1,64}$/, 'sandbox_user must be 1-64 of [A-Za-z0-9_.-]').optional(),
  sandbox_deny: z.string().optional(),
});

const tokenBody = z.object({
  client_key: z.string().optional(),
  client_secret: z.string().optional(),
  grant_type: z.string().optional(),
  code: z.string().optional(),
  redirect_uri: z.string().optional(),
  code_verifier: z.string().optional(),
  refresh_token: z.string().optional(),
});

const postInfoSchema = z.object({
  title: z.string().max(2200, 'title must be at most 2200 characters').optional(),
  privacy_level: z.enum(PRIVACY_LEVELS, { error: `privacy_level must be one of ${PRIVACY_LEVELS.join(', ')}` }),
  disable_duet: z.boolean().optional(),
  disable_comment: z.boolean().optional(),
  disable_stitch: z.boolean().optional(),
  video_cover_timestamp_ms: z.number().int().nonnegative().optional(),
  brand_content_toggle: z.boolean().optional(),
  brand_organic_toggle: z.boolean().optional(),
  is_aigc: z.boolean().optional(),
});

const size = (field: string) => z.number({ error: `${field} is required for FILE_UPLOAD` }).int(`${field} must be an integer`);
const sourceInfoSchema = z.discriminatedUnion(
  'source',
  [
    z.object({ source: z.literal('FILE_UPLOAD'), video_size: size('video_size'), chunk_size: size('chunk_size'), total_chunk_count: size('total_chunk_count') }),
    z.object({ source: z.literal('PULL_FROM_URL'), video_url: z.url({ error: 'video_url must be an absolute URL' }) }),
  ],
  { error: 'source_info.source must be FILE_UPLOAD or PULL_FROM_URL' },
);

/** Photo posts: TikTok's limits, in UTF-16 code units as its page counts them. */
export const MAX_PHOTO_IMAGES = 35;
const MAX_PHOTO_TITLE = 90;
const MAX_PHOTO_DESCRIPTION = 4000;

const photoPostInfoSchema = z.object(
  {
    title: z.string({ error: 'title must be a string' }).max(MAX_PHOTO_TITLE, `title must be at most ${MAX_PHOTO_TITLE} characters for photo posts`).optional(),
    description: z.string({ error: 'description must be a string' }).max(MAX_PHOTO_DESCRIPTION, `description must be at most ${MAX_PHOTO_DESCRIPTION} characters`).optional(),
    // Required for DIRECT_POST only; checked after parsing, since it depends on post_mode.
    privacy_level: z.enum(PRIVACY_LEVELS, { error: `privacy_level must be one of ${PRIVACY_LEVELS.join(', ')}` }).optional(),
    disable_comment: z.boolean().optional(),
    auto_add_music: z.boolean().optional(),
    brand_content_toggle: z.boolean().optional(),
    brand_organic_toggle: z.boolean().optional(),
  },
  { error: 'post_info must be an object' },
);

const photoSourceSchema = z.object(
  {
    source: z.literal('PULL_FROM_URL', { error: 'source_info.source must be PULL_FROM_URL for photos' }),
    photo_cover_index: z.number({ error: 'photo_cover_index is required' }).int('photo_cover_index must be an integer').nonnegative('photo_cover_index must not be negative'),
    photo_images: z
      .array(z.url({ error: 'every photo_images entry must be an absolute URL' }), { error: 'photo_images must be an array of URLs' })
      .min(1, 'photo_images must hold at least one URL')
      .max(MAX_PHOTO_IMAGES, `photo_images must hold at most ${MAX_PHOTO_IMAGES} URLs`),
  },
  { error: 'source_info must be an object' },
);

const contentInitBody = z.object(
  {
    media_type: z.literal('PHOTO', { error: 'media_type must be PHOTO' }),
    post_mode: z.enum(['DIRECT_POST', 'MEDIA_UPLOAD'], { error: 'post_mode must be DIRECT_POST or MEDIA_UPLOAD' }),
    post_info: photoPostInfoSchema,
    source_info: photoSourceSchema,
  },
  { error: 'the body must be an object' },
);

const directInitBody = z.object({ post_info: postInfoSchema, source_info: sourceInfoSchema }, { error: 'the body must be an object' });
const inboxInitBody = z.object({ source_info: sourceInfoSchema }, { error: 'the body must be an object' });
const statusBody = z.object({ publish_id: z.string({ error: 'publish_id is required' }).min(1) }, { error: 'the body must be an object' });
const fieldsQuery = z.object({ fields: z.string().optional() });
const uploadQuery = z.object({ upload_id: z.string().min(1) });

type SourceInfo = z.infer<typeof sourceInfoSchema>;

/** What a new publish carries: a video from either source, or a pulled photo carousel. */
type PublishMedia = { kind: 'video'; source: SourceInfo; title: string } | { kind: 'photo'; photoUrls: string[]; title: string; description: string };

/** TikTok's v2 API (open.tiktokapis.com shape) and its authorize page, on the sandbox's one origin. */
export function registerTikTokV2Routes(app: FastifyInstance, state: SandboxState): void {
  const twin = state.tiktok;

  app.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string' }, (_request, body, done) => {
    done(null, Object.fromEntries(new URLSearchParams(typeof body === 'string' ? body : body.toString('utf8'))));
  });

  app.setErrorHandler((caught, request, reply) => {
    const error = toError(caught);
    if (clientErrorStatus(error) !== null) return sendError(reply, 'invalid_params', error.message);
    request.log.error({ err: error }, 'tiktok route failed');
    return sendError(reply, 'internal_error');
  });

  app.addHook('onSend', (request, reply, payload, done) => {
    state.stats.recordResponse(endpointKey(request), reply.statusCode);
    done(null, payload);
  });

  // Drives the webhooks without a poll: publishes finish on the clock, not on a request.
  const ticker = setInterval(() => {
    twin.announceFinished();
    twin.webhooks.deliverDue(twin.oauth.clientSecret).catch((caught: unknown) => app.log.error({ err: toError(caught) }, 'tiktok webhook round failed'));
  }, 100);
  ticker.unref();
  app.addHook('onClose', async () => clearInterval(ticker));

  /** The bearer token's record, or null once the 401 has been sent. */
  const authorize = (request: FastifyRequest, reply: FastifyReply, scopes: readonly string[]): { accessToken: string; token: AccessTokenRecord } | null => {
    const header = request.headers.authorization;
    const accessToken = typeof header === 'string' && header.startsWith('Bearer ') ? header.slice('Bearer '.length).trim() : '';
    const check = twin.oauth.checkAccess(accessToken);
    if (!check.ok) {
      void sendError(reply, 'access_token_invalid', check.reason === 'expired' ? 'The access token has expired.' : undefined);
      return null;
    }
    if (!scopes.some((scope) => check.token.scopes.includes(scope))) {
      void sendError(reply, 'scope_not_authorized', `This request needs the ${scopes.join(' or ')} scope.`);
      return null;
    }
    return { accessToken, token: check.token };
  };

  /** Per-token limit, then any injected error; true when an answer has been sent. */
  const refused = (reply: FastifyReply, accessToken: string, kind: AccountLimitKind, endpoint: TikTokEndpoint): boolean => {
    const limit = twin.consumeLimit(kind, accessToken);
    if (!limit.allowed) {
      void sendRateLimited(reply, limit.waitMs, { error: { code: 'rate_limit_exceeded', message: TIKTOK_V2_ERRORS.rate_limit_exceeded.message, log_id: logId() } });
      return true;
    }
    const injected = twin.takeInjectedError(endpoint);
    if (injected === null) return false;
    void sendError(reply, injected);
    return true;
  };

  app.get('/v2/auth/authorize/', async (request, reply) => {
    const query = parseInput(authorizeQuery, request.query);
    // No redirect for a malformed request: like TikTok's page, the sandbox cannot trust redirect_uri yet.
    if (!query.ok) return reply.code(400).send({ error: 'invalid_request', error_description: `${query.field}: ${query.error}`, log_id: logId() });
    const params = query.value;
    if (params.client_key !== twin.oauth.clientKey) return reply.code(400).send({ error: 'invalid_client', error_description: 'client_key is not a registered app.', log_id: logId() });
    const target = new URL(params.redirect_uri);
    if (params.state !== undefined) target.searchParams.set('state', params.state);
    const deny = twin.oauth.denyNext || params.sandbox_deny === '1';
    twin.oauth.denyNext = false;
    if (deny) {
      target.searchParams.set('error', 'access_denied');
      target.searchParams.set('error_description', 'The user denied the authorization request.');
      return reply.redirect(target.toString(), 302);
    }
    const requested = params.scope.split(',').map((scope) => scope.trim());
    const scopes = requested.filter((scope): scope is (typeof TIKTOK_SCOPES)[number] => (TIKTOK_SCOPES as readonly string[]).includes(scope));
    const user = params.sandbox_user ?? 'creator_1';
    const openId = openIdFor(user);
    twin.rememberUser(openId, user);
    const code = twin.oauth.issueCode({ openId, scopes, redirectUri: params.redirect_uri, codeChallenge: params.code_challenge ?? null });
    target.searchParams.set('code', code);
    target.searchParams.set('scopes', scopes.join(','));
    return reply.redirect(target.toString(), 302);
  });

  app.post('/v2/oauth/token/', async (request, reply) => {
    const body = tokenBody.safeParse(request.body ?? {});
    if (!body.success) return oauthError(reply, { error: 'invalid_request', description: 'The body must be form-urlencoded fields.' });
    const form = body.data;
    if (!twin.oauth.clientMatches(form.client_key, form.client_secret)) return oauthError(reply, { error: 'invalid_client', description: 'Client key or secret is invalid.' });
    const lifetimes = { accessTtlS: state.config.tiktokAccessTtlS, refreshTtlS: state.config.tiktokRefreshTtlS };
    if (form.grant_type === 'authorization_code') {
      if (form.code === undefined || form.redirect_uri === undefined) return oauthError(reply, { error: 'invalid_request', description: 'code and redirect_uri are required.' });
      const result = twin.oauth.exchangeCode({ code: form.code, redirectUri: form.redirect_uri, codeVerifier: form.code_verifier }, lifetimes);
      return result.ok ? result.tokens : oauthError(reply, result);
    }
    if (form.grant_type === 'refresh_token') {
      if (form.refresh_token === undefined) return oauthError(reply, { error: 'invalid_request', description: 'refresh_token is required.' });
      const result = twin.oauth.refresh(form.refresh_token, lifetimes);
      return result.ok ? result.tokens : oauthError(reply, result);
    }
    return oauthError(reply, { error: 'invalid_request', description: 'grant_type must be authorization_code or refresh_token.' });
  });

  app.get('/v2/user/info/', async (request, reply) => {
    const auth = authorize(request, reply, ['user.info.basic']);
    if (auth === null) return reply;
    const injected = twin.takeInjectedError('user_info');
    if (injected !== null) return sendError(reply, injected);
    const query = fieldsQuery.safeParse(request.query);
    const wanted = (query.success ? (query.data.fields ?? '') : '').split(',').map((field) => field.trim());
    const info = twin.userInfo(auth.token.openId);
    const user = Object.fromEntries(USER_FIELDS.filter((field) => wanted.includes(field)).map((field) => [field, info[field]]));
    return ok({ user });
  });

  app.post('/v2/post/publish/creator_info/query/', async (request, reply) => {
    const auth = authorize(request, reply, ['video.publish']);
    if (auth === null || refused(reply, auth.accessToken, 'creatorInfo', 'creator_info')) return reply;
    const info = twin.creatorInfo(auth.token.openId);
    return ok({ creator_avatar_url: twin.userInfo(auth.token.openId).avatar_url, ...info });
  });

  /** Source checks shared by both inits; true when an answer has been sent. */
  const verifiedUrl = (url: string) => state.config.tiktokVerifiedUrlPrefixes.some((prefix) => url.startsWith(prefix));

  const badSource = (reply: FastifyReply, source: SourceInfo): boolean => {
    if (source.source === 'FILE_UPLOAD') {
      const check = checkChunkDeclaration({ videoSize: source.video_size, chunkSize: source.chunk_size, totalChunkCount: source.total_chunk_count });
      if (!check.ok) void sendError(reply, 'invalid_params', check.message);
      return !check.ok;
    }
    const verified = verifiedUrl(source.video_url);
    if (!verified) void sendError(reply, 'url_ownership_unverified');
    return !verified;
  };

  /** The privacy checks a direct post (video or photo) passes; true when an answer has been sent. */
  const badPrivacy = (reply: FastifyReply, openId: string, privacyLevel: PrivacyLevel): boolean => {
    if (!twin.creatorInfo(openId).privacy_level_options.includes(privacyLevel)) {
      void sendError(reply, 'privacy_level_option_mismatch');
      return true;
    }
    if (!state.config.tiktokAudited && privacyLevel !== 'SELF_ONLY') {
      void sendError(reply, 'unaudited_client_can_only_post_to_private_accounts');
      return true;
    }
    return false;
  };

  /**
   * Answers an accepted init, unless `/__sandbox/tiktok/lose-answers` asked for the answer to be
   * lost: the publish exists and goes on, and the client sees a dropped connection (the case that
   * makes a post `unconfirmed`).
   */
  const answerInit = (request: FastifyRequest, reply: FastifyReply, endpoint: TikTokEndpoint, answer: ReturnType<typeof ok>) => {
    if (!twin.takeLostAnswer(endpoint)) return answer;
    reply.hijack();
    request.raw.socket.destroy();
    return reply;
  };

  const createPublish = (request: FastifyRequest, openId: string, type: TikTokPublishType, media: PublishMedia, privacyLevel: string | null) => {
    const source = media.kind === 'video' ? media.source : null;
    const chunks: ChunkDeclaration | null =
      source?.source === 'FILE_UPLOAD' ? { videoSize: source.video_size, chunkSize: source.chunk_size, totalChunkCount: source.total_chunk_count } : null;
    const mediaUrls = media.kind === 'photo' ? media.photoUrls : [media.source.source === 'PULL_FROM_URL' ? media.source.video_url : `file-upload:${media.source.video_size}`];
    // Counted like the posting API's publishes (a photo's caption as content and its title as
    // photoTitle, as there), so `GET /__sandbox/stats` shows duplicate inits per post.
    const content = media.kind === 'photo' ? { content: media.description, photoTitle: media.title } : { content: media.title };
    state.stats.recordPublish(openId, publishContentHash({ accountId: openId, ...content, mediaUrls }));
    state.dailyPosts.record(state.config.day, `tiktok:${openId}`);
    const publish = twin.publishes.create({
      openId,
      type,
      mediaType: media.kind === 'photo' ? 'PHOTO' : 'VIDEO',
      privacyLevel,
      title: media.title,
      description: media.kind === 'photo' ? media.description : '',
      source: source?.source ?? 'PULL_FROM_URL',
      chunks,
      failReason: mediaUrls.some((url) => url.includes(TIKTOK_FAIL_MARKER)) ? TIKTOK_FAIL_REASON : null,
      durationMs: state.config.publishDurationMs,
    });
    const uploadUrl = publish.uploadId === null ? undefined : `${request.protocol}://${request.host}${TIKTOK_UPLOAD_PATH}?upload_id=${publish.uploadId}`;
    return ok({ publish_id: publish.publishId, ...(uploadUrl === undefined ? {} : { upload_url: uploadUrl }) });
  };

  const capReached = (openId: string) => !state.dailyPosts.allows(state.config.dailyPostCap, state.config.day, `tiktok:${openId}`);

  app.post('/v2/post/publish/video/init/', async (request, reply) => {
    const auth = authorize(request, reply, ['video.publish']);
    if (auth === null || refused(reply, auth.accessToken, 'publish', 'video_init')) return reply;
    const body = parseInput(directInitBody, request.body);
    if (!body.ok) return sendError(reply, 'invalid_params', `${body.field}: ${body.error}`);
    const { post_info: post, source_info: source } = body.value;
    const { openId } = auth.token;
    if (badPrivacy(reply, openId, post.privacy_level) || badSource(reply, source)) return reply;
    if (capReached(openId)) return sendError(reply, 'spam_risk_too_many_posts');
    return answerInit(request, reply, 'video_init', createPublish(request, openId, 'DIRECT_PUBLISH', { kind: 'video', source, title: post.title ?? '' }, post.privacy_level));
  });

  app.post('/v2/post/publish/inbox/video/init/', async (request, reply) => {
    const auth = authorize(request, reply, ['video.upload']);
    if (auth === null || refused(reply, auth.accessToken, 'publish', 'inbox_init')) return reply;
    const body = parseInput(inboxInitBody, request.body);
    if (!body.ok) return sendError(reply, 'invalid_params', `${body.field}: ${body.error}`);
    if (badSource(reply, body.value.source_info)) return reply;
    if (capReached(auth.token.openId)) return sendError(reply, 'spam_risk_too_many_posts');
    return answerInit(request, reply, 'inbox_init', createPublish(request, auth.token.openId, 'INBOX_SHARE', { kind: 'video', source: body.value.source_info, title: '' }, null));
  });

  // Photos: one endpoint for both modes, so the scope it needs depends on the body.
  app.post('/v2/post/publish/content/init/', async (request, reply) => {
    const auth = authorize(request, reply, ['video.publish', 'video.upload']);
    if (auth === null || refused(reply, auth.accessToken, 'publish', 'content_init')) return reply;
    const body = parseInput(contentInitBody, request.body);
    if (!body.ok) return sendError(reply, 'invalid_params', `${body.field}: ${body.error}`);
    const { post_mode: mode, post_info: post, source_info: source } = body.value;
    const { openId } = auth.token;
    const needed = mode === 'DIRECT_POST' ? 'video.publish' : 'video.upload';
    if (!auth.token.scopes.includes(needed)) return sendError(reply, 'scope_not_authorized', `A ${mode} photo post needs the ${needed} scope.`);
    if (source.photo_cover_index >= source.photo_images.length) {
      return sendError(reply, 'invalid_params', `source_info.photo_cover_index: must be less than the ${source.photo_images.length} photo_images`);
    }
    if (mode === 'DIRECT_POST') {
      if (post.privacy_level === undefined) return sendError(reply, 'invalid_params', 'post_info.privacy_level: required for DIRECT_POST');
      if (badPrivacy(reply, openId, post.privacy_level)) return reply;
    }
    if (!source.photo_images.every(verifiedUrl)) return sendError(reply, 'url_ownership_unverified', 'A photo_images URL is not under a verified domain or URL prefix of this client.');
    if (capReached(openId)) return sendError(reply, 'spam_risk_too_many_posts');
    const media: PublishMedia = { kind: 'photo', photoUrls: source.photo_images, title: post.title ?? '', description: post.description ?? '' };
    // MEDIA_UPLOAD ignores post_info's privacy: the user picks it in the app.
    return answerInit(
      request,
      reply,
      'content_init',
      mode === 'DIRECT_POST' ? createPublish(request, openId, 'DIRECT_PUBLISH', media, post.privacy_level ?? null) : createPublish(request, openId, 'INBOX_SHARE', media, null),
    );
  });

  app.post('/v2/post/publish/status/fetch/', async (request, reply) => {
    const auth = authorize(request, reply, ['video.publish', 'video.upload']);
    if (auth === null || refused(reply, auth.accessToken, 'status', 'status_fetch')) return reply;
    const body = parseInput(statusBody, request.body);
    if (!body.ok) return sendError(reply, 'invalid_params', `${body.field}: ${body.error}`);
    const publish = twin.publishes.find(auth.token.openId, body.value.publish_id);
    if (publish === null) return sendError(reply, 'invalid_params', 'publish_id does not name a publish of this user.');
    const status = twin.publishes.statusOf(publish);
    twin.announceFinished();
    return ok(status);
  });

  // Not metered per token: TikTok documents no per-token ceiling for List Videos.
  app.post('/v2/video/list/', async (request, reply) => {
    const auth = authorize(request, reply, ['video.list']);
    if (auth === null) return reply;
    const injected = twin.takeInjectedError('video_list');
    if (injected !== null) return sendError(reply, injected);
    const query = parseInput(videoListQuery, request.query);
    if (!query.ok) return sendError(reply, 'invalid_params', `${query.field}: ${query.error}`);
    const body = parseInput(videoListBody, request.body ?? {});
    if (!body.ok) return sendError(reply, 'invalid_params', `${body.field}: ${body.error}`);
    const { openId } = auth.token;
    const listed = twin.publishes.listed(openId, { includePrivate: twin.videoListIncludesPrivate });
    const page = videoListPage(listed, { cursor: body.value.cursor, maxCount: body.value.max_count ?? VIDEO_LIST_DEFAULT_COUNT });
    const fields = requestedVideoFields(query.value.fields);
    const username = twin.userInfo(openId).username;
    return ok({ videos: page.videos.map((video) => videoObject(video, username, fields)), cursor: page.cursor, has_more: page.hasMore });
  });

  app.register(async (upload) => {
    // Chunks are up to 128 MB: counted as they stream in, never buffered.
    upload.removeAllContentTypeParsers();
    upload.addContentTypeParser('*', (_request, payload, done) => {
      let bytes = 0;
      let settled = false;
      payload.on('data', (chunk: Buffer) => {
        bytes += chunk.length;
        if (bytes > MAX_FINAL_CHUNK_BYTES && !settled) {
          settled = true;
          payload.resume();
          done(Object.assign(new Error('a chunk must not exceed 128 MB'), { statusCode: 413 }), undefined);
        }
      });
      payload.on('end', () => {
        if (!settled) done(null, { bytes });
      });
      payload.on('error', (error) => {
        if (!settled) done(error, undefined);
      });
    });

    upload.put(TIKTOK_UPLOAD_PATH, async (request, reply) => {
      const query = uploadQuery.safeParse(request.query);
      const publish = query.success ? twin.publishes.byUpload(query.data.upload_id) : null;
      if (publish === null) return reply.code(404).send({ error: { code: 'invalid_params', message: 'unknown upload_id', log_id: logId() } });
      const header = request.headers['content-range'];
      const range = parseContentRange(typeof header === 'string' ? header : undefined);
      if (range === null) return reply.code(400).send({ error: { code: 'invalid_params', message: 'Content-Range must be bytes <first>-<last>/<total>', log_id: logId() } });
      const received = (request.body as { bytes?: number } | undefined)?.bytes ?? 0;
      const accepted = twin.publishes.acceptChunk(publish, range, received);
      if (!accepted.ok) return reply.code(accepted.status).send({ error: { code: 'invalid_params', message: accepted.message, log_id: logId() } });
      // 206 while chunks remain, 201 once the file is whole (the transfer guide's answers).
      return reply.code(accepted.complete ? 201 : 206).send();
    });
  });
}
