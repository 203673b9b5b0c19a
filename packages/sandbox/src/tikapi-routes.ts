import type { FastifyInstance, FastifyReply } from 'fastify';
import { headerValue, installApiGuard } from './api-guard';
import { encodeFollowerCursor } from './cursors';
import { followersPage, hashtag, profileForAccountKey, profileForSubject, profileForUsername, videosPage, type Profile } from './data';
import { clientErrorStatus, toError } from './errors';
import { decodeHashtagId, decodeSecUid, parseCanonicalInt } from './ids';
import { tikapi } from './replies';
import type { SandboxState } from './state';
import { checkQuery, hashtagQuery, parseQuery, publicFollowersQuery, userFollowersQuery } from './tikapi-params';
import { HASHTAG_NOT_FOUND, magicErrorCode, USER_NOT_FOUND } from './tiktok-errors';

function followersBody(owner: Profile, offset: number, count: number) {
  const total = owner.stats.followerCount;
  const userList = followersPage(owner, offset, count);
  const next = offset + userList.length;
  return {
    ...tikapi.success,
    userList,
    nextCursor: encodeFollowerCursor(next),
    hasMore: next < total,
    total,
  };
}

function followersPageKey(route: string, owner: Profile, offset: number): string {
  return `GET ${route} secUid=${owner.user.secUid}&cursor=${offset === 0 ? '' : encodeFollowerCursor(offset)}`;
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
    const profile = profileForUsername(username);
    if (profile === null) return sendTiktokError(reply, USER_NOT_FOUND);
    const { user, stats } = profile;
    return {
      ...tikapi.success,
      userInfo: {
        user: {
          id: user.id,
          uniqueId: user.uniqueId,
          nickname: user.nickname,
          secUid: user.secUid,
          verified: user.verified,
          privateAccount: false,
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
    state.stats.recordPage(followersPageKey('/public/followers', owner, query.data.nextCursor));
    return followersBody(owner, query.data.nextCursor, query.data.count);
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
    state.stats.recordPage(followersPageKey('/user/followers', owner, query.data.nextCursor));
    return followersBody(owner, query.data.nextCursor, query.data.count);
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
    const itemList = videosPage(tag, cursor, count);
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
}
