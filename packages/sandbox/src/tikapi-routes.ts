import type { FastifyInstance, FastifyReply } from 'fastify';
import { headerValue, installApiGuard } from './api-guard';
import {
  followersPage,
  hashtag,
  namedProfile,
  profileForAccountKey,
  profileForSubject,
  profileForUsername,
  publishedVideo,
  statsOnDay,
  userPostAt,
  videoAt,
  videosPage,
  type Profile,
  type Video,
} from './data';
import { clientErrorStatus, toError } from './errors';
import { feedPage } from './feed';
import { decodeHashtagId, decodeSecUid, decodeVideoId, parseCanonicalInt } from './ids';
import { tikapi } from './replies';
import type { SandboxState } from './state';
import { checkQuery, hashtagQuery, parseQuery, postsQuery, publicFollowersQuery, userFollowersQuery, videoQuery } from './tikapi-params';
import { HASHTAG_NOT_FOUND, magicErrorCode, USER_NOT_FOUND, VIDEO_NOT_FOUND, VIDEO_PRIVATE } from './tiktok-errors';

function followersBody(owner: Profile, slot: number, count: number, day: number) {
  const total = statsOnDay(owner, day).followerCount;
  if (owner.privateAccount) return { ...tikapi.success, userList: [], nextCursor: 0, hasMore: false, total };
  const page = followersPage(owner, slot, count, day);
  return {
    ...tikapi.success,
    userList: page.userList,
    // 0 on the last page: the SDK's nextItems() requests again whenever nextCursor is truthy.
    nextCursor: page.hasMore ? page.next : 0,
    hasMore: page.hasMore,
    total,
  };
}

/** Day 0 keeps the key it always had, so page counts from before churn existed still line up. */
function followersPageKey(route: string, owner: Profile, slot: number, day: number): string {
  return `GET ${route} secUid=${owner.user.secUid}&cursor=${slot === 0 ? '' : slot}${day === 0 ? '' : `&day=${day}`}`;
}

/**
 * `user_N`, `private_N` and fans always exist; any other name exists once the sandbox knows it as a
 * posting account (listed by the provider, or posted to), so its own publishes can be looked up.
 */
function profileForName(state: SandboxState, username: string): Profile | null {
  const generated = profileForUsername(username);
  if (generated !== null) return generated;
  const known = state.publishes.hasUsername(username) || state.providerAccounts.list().some((account) => account.username === username);
  return known ? namedProfile(username) : null;
}

/** A video by id: a published sandbox post, a hashtag video or a `user_N` post that exists on `day`. */
function findVideo(state: SandboxState, id: string, day: number): { video: Video } | { code: number } {
  const published = state.publishes.findVideo(id);
  if (published !== null) {
    if (!published.isPublic) return { code: VIDEO_PRIVATE };
    const author = profileForName(state, published.record.username) ?? namedProfile(published.record.username);
    return { video: publishedVideo(author, published.video, day) };
  }
  const source = decodeVideoId(id);
  if (source === null) return { code: VIDEO_NOT_FOUND };
  if (source.kind === 'hashtag') {
    return source.index < source.n ? { video: videoAt(hashtag(source.n), source.index, day) } : { code: VIDEO_NOT_FOUND };
  }
  const owner = profileForSubject({ kind: 'user', n: source.n });
  if (source.index >= owner.stats.videoCount + day) return { code: VIDEO_NOT_FOUND };
  return { video: userPostAt(owner, source.n, source.index, day) };
}

function sendTiktokError(reply: FastifyReply, code: number): FastifyReply {
  return reply.code(403).send(tikapi.tiktokError(code));
}

/** `tag_N` by name (with or without `#`), or the challenge id a previous response handed out. */
function resolveHashtag(name: string | undefined, id: string | undefined): { n: number } | { code: number } {
  if (id !== undefined) {
    const n = decodeHashtagId(id);
    return n === null ? { code: HASHTAG_NOT_FOUND } : { n };
  }
  const title = (name ?? '').replace(/^#/, '');
  const code = magicErrorCode(title);
  if (code !== null) return { code };
  const match = /^tag_(\d+)$/.exec(title);
  const n = match?.[1] === undefined ? null : parseCanonicalInt(match[1]);
  return n === null ? { code: HASHTAG_NOT_FOUND } : { n };
}

/** The TikAPI-shaped scraping endpoints. */
export function registerTikapiRoutes(app: FastifyInstance, state: SandboxState): void {
  installApiGuard(app, state, { unauthorized: tikapi.unauthorized, rateLimited: tikapi.rateLimited });

  app.setErrorHandler((caught, request, reply) => {
    const error = toError(caught);
    const status = clientErrorStatus(error);
    if (status !== null) return reply.code(status).send(tikapi.serverError(error.message));
    request.log.error({ err: error }, 'tikapi route failed');
    return reply.code(500).send(tikapi.serverError('Internal sandbox error'));
  });

  app.get('/public/check', async (request, reply) => {
    const query = parseQuery(checkQuery, request.query);
    if (!query.ok) return reply.code(400).send(tikapi.badFields(query.fields));
    const username = query.data.username.replace(/^@/, '');
    const code = magicErrorCode(username);
    if (code !== null) return sendTiktokError(reply, code);
    const profile = profileForName(state, username);
    if (profile === null) return sendTiktokError(reply, USER_NOT_FOUND);
    const { user } = profile;
    const stats = statsOnDay(profile, state.config.day, state.publishes.publicVideosOf(user.uniqueId).length);
    return {
      ...tikapi.success,
      userInfo: {
        user: {
          id: user.id,
          uniqueId: user.uniqueId,
          nickname: user.nickname,
          secUid: user.secUid,
          verified: user.verified,
          privateAccount: profile.privateAccount,
          avatarThumb: user.avatarThumb,
        },
        stats,
      },
    };
  });

  app.get('/public/followers', async (request, reply) => {
    const query = parseQuery(publicFollowersQuery, request.query);
    if (!query.ok) return reply.code(400).send(tikapi.badFields(query.fields));
    const subject = decodeSecUid(query.data.secUid);
    if (subject === null) return sendTiktokError(reply, USER_NOT_FOUND);
    const owner = profileForSubject(subject);
    const { day } = state.config;
    state.stats.recordPage(followersPageKey('/public/followers', owner, query.data.nextCursor, day));
    return followersBody(owner, query.data.nextCursor, query.data.count, day);
  });

  app.get('/user/followers', async (request, reply) => {
    const accountKey = headerValue(request, 'x-account-key');
    if (accountKey === null) {
      return reply.code(400).send(tikapi.badFields({ 'X-ACCOUNT-KEY': 'A valid Account Key is required.' }));
    }
    if (state.sessions.isExpired(accountKey)) return reply.code(428).send(tikapi.sessionExpired());
    const query = parseQuery(userFollowersQuery, request.query);
    if (!query.ok) return reply.code(400).send(tikapi.badFields(query.fields));
    let owner: Profile;
    if (query.data.secUid === undefined) owner = profileForAccountKey(accountKey);
    else {
      const subject = decodeSecUid(query.data.secUid);
      if (subject === null) return sendTiktokError(reply, USER_NOT_FOUND);
      owner = profileForSubject(subject);
    }
    const { day } = state.config;
    state.stats.recordPage(followersPageKey('/user/followers', owner, query.data.nextCursor, day));
    return followersBody(owner, query.data.nextCursor, query.data.count, day);
  });

  app.get('/public/hashtag', async (request, reply) => {
    const query = parseQuery(hashtagQuery, request.query);
    if (!query.ok) return reply.code(400).send(tikapi.badFields(query.fields));
    const { name, id, count, cursor } = query.data;
    if (name === undefined && id === undefined) {
      const message = 'A valid hashtag name or id is required.';
      return reply.code(400).send(tikapi.badFields({ name: message, id: message }));
    }
    const resolved = resolveHashtag(name, id);
    if ('code' in resolved) return sendTiktokError(reply, resolved.code);
    const tag = hashtag(resolved.n);
    const itemList = videosPage(tag, cursor, count, state.config.day);
    const next = cursor + itemList.length;
    state.stats.recordPage(`GET /public/hashtag id=${tag.challengeInfo.challenge.id}&cursor=${cursor}`);
    return {
      ...tikapi.success,
      challengeInfo: tag.challengeInfo,
      itemList,
      cursor: String(next),
      hasMore: next < tag.n,
    };
  });

  app.get('/public/posts', async (request, reply) => {
    const query = parseQuery(postsQuery, request.query);
    if (!query.ok) return reply.code(400).send(tikapi.badFields(query.fields));
    const subject = decodeSecUid(query.data.secUid);
    if (subject === null) return sendTiktokError(reply, USER_NOT_FOUND);
    const owner = profileForSubject(subject);
    const { day } = state.config;
    const cursor = query.data.cursor === undefined || query.data.cursor === 0 ? null : query.data.cursor;
    state.stats.recordPage(`GET /public/posts secUid=${owner.user.secUid}&cursor=${cursor ?? ''}&day=${day}`);
    const page = feedPage(owner, day, state.publishes.publicVideosOf(owner.user.uniqueId), cursor, query.data.count);
    return { ...tikapi.success, ...page };
  });

  app.get('/public/video', async (request, reply) => {
    const query = parseQuery(videoQuery, request.query);
    if (!query.ok) return reply.code(400).send(tikapi.badFields(query.fields));
    const found = findVideo(state, query.data.id, state.config.day);
    if ('code' in found) return sendTiktokError(reply, found.code);
    return { ...tikapi.success, itemInfo: { itemStruct: found.video } };
  });
}
