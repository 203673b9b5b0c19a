import { createHash, randomBytes } from 'node:crypto';
import type { ConnectAccountBody, OauthCallbackQuery } from '@pubcrawl/contracts';
import { claimOauthState, insertOauthState, recordOauthOutcome, upsertTikTokAccount, type AccountRow } from '@pubcrawl/db';
import { toError } from '@pubcrawl/errors';
import { createPkcePair, toStoredTokens, UpstreamError, type TikTokTokens, type TikTokV2User } from '@pubcrawl/tiktok';
import { z } from 'zod';
import type { ApiContext } from '../context';
import { resumeParkedWork } from './resume-parked';

/** TikTok's authorize page is a few clicks; ten minutes is plenty, and a leaked state dies soon. */
export const OAUTH_STATE_TTL_MS = 10 * 60_000;

/** Only the hash is stored: a database read must not be enough to complete someone's connect. */
export function hashState(state: string): string {
  return createHash('sha256').update(state).digest('hex');
}

const storedVerifier = z.object({ codeVerifier: z.string().min(1) });

/**
 * Starts a connect: a single-use state and a PKCE pair, recorded before the URL is handed out, so
 * the callback can prove it answers a connect this API began.
 */
export async function startTikTokConnect(context: ApiContext, body: ConnectAccountBody): Promise<{ authorizeUrl: string; state: string; expiresAt: string }> {
  const { tiktok } = context;
  const state = randomBytes(32).toString('base64url');
  const pkce = createPkcePair();
  const expiresAt = new Date(Date.now() + OAUTH_STATE_TTL_MS);
  await insertOauthState(context.db.db, {
    provider: 'tiktok',
    stateHash: hashState(state),
    codeVerifierEncrypted: tiktok.cipher.encrypt({ codeVerifier: pkce.codeVerifier }),
    label: body.label ?? null,
    redirectUri: tiktok.redirectUri,
    expiresAt,
  });
  const authorizeUrl = tiktok.client.authorizeUrl({ state, codeChallenge: pkce.codeChallenge, scopes: tiktok.app.scopes, redirectUri: tiktok.redirectUri });
  return { authorizeUrl, state, expiresAt: expiresAt.toISOString() };
}

/** The statuses a callback page can carry (the route declares each). */
export type CallbackStatus = 200 | 400 | 403 | 409 | 410 | 502;

export type CallbackOutcome =
  | { kind: 'connected'; account: AccountRow; created: boolean; resumed: { posts: number; crawls: number }; missingScopes: string[] }
  | { kind: 'refused'; httpStatus: Exclude<CallbackStatus, 200>; title: string; message: string };

const refused = (httpStatus: Exclude<CallbackStatus, 200>, title: string, message: string): CallbackOutcome => ({ kind: 'refused', httpStatus, title, message });

/**
 * The creator came back from TikTok. The state is spent first, in one statement, so a replayed or
 * raced callback cannot connect twice; the account is written only after TikTok gave us both the
 * tokens and the user, so a denial or a failure writes nothing but the state's outcome.
 */
export async function completeTikTokConnect(context: ApiContext, query: OauthCallbackQuery): Promise<CallbackOutcome> {
  if (query.state === undefined || query.state === '') return refused(400, 'Missing state', 'This page must be reached from a connect that pubcrawl started (POST /v1/accounts/connect).');
  const claim = await claimOauthState(context.db.db, 'tiktok', hashState(query.state));
  if (claim.kind === 'unknown') return refused(400, 'Unknown connect', 'This link does not belong to a connect pubcrawl started. Start again with POST /v1/accounts/connect.');
  if (claim.kind === 'used') return refused(409, 'Link already used', 'This connect link was already used. Start again with POST /v1/accounts/connect.');
  if (claim.kind === 'expired') return refused(410, 'Link expired', `This connect link expired at ${claim.state.expiresAt.toISOString()}. Start again with POST /v1/accounts/connect.`);
  const { state } = claim;

  if (query.error !== undefined) {
    await recordOauthOutcome(context.db.db, state.id, 'denied');
    const detail = query.error === 'access_denied' ? 'The creator did not authorize pubcrawl on TikTok.' : `TikTok answered ${query.error}${query.error_description === undefined ? '' : `: ${query.error_description}`}.`;
    return refused(403, 'Not connected', `${detail} Nothing was saved; start again with POST /v1/accounts/connect to retry.`);
  }
  if (query.code === undefined || query.code === '') {
    await recordOauthOutcome(context.db.db, state.id, 'failed');
    return refused(400, 'Missing code', 'TikTok sent no authorization code. Nothing was saved; start again with POST /v1/accounts/connect.');
  }

  let tokens: TikTokTokens;
  let user: TikTokV2User;
  try {
    const { codeVerifier } = storedVerifier.parse(context.tiktok.cipher.decrypt(state.codeVerifierEncrypted));
    tokens = await context.tiktok.client.exchangeCode({ code: query.code, codeVerifier, redirectUri: state.redirectUri });
    user = await context.tiktok.client.userInfo(tokens.accessToken);
  } catch (caught) {
    const error = toError(caught);
    context.logger.warn({ err: error, stateId: state.id }, 'the TikTok connect could not be completed');
    await recordOauthOutcome(context.db.db, state.id, 'failed');
    const reason = error instanceof UpstreamError ? error.message : 'TikTok could not be reached';
    return refused(502, 'Not connected', `TikTok did not complete the connect (${reason}). Nothing was saved; start again with POST /v1/accounts/connect.`);
  }

  const { account, created, previousStatus } = await context.db.db.transaction(async (tx) => {
    const upserted = await upsertTikTokAccount(tx, {
      openId: tokens.openId,
      label: state.label,
      username: user.username ?? null,
      displayName: user.display_name ?? null,
      profile: user.avatar_url === undefined ? null : { avatar_url: user.avatar_url },
      credentialsEncrypted: context.tiktok.cipher.encrypt(toStoredTokens(tokens)),
      accessExpiresAt: new Date(tokens.accessExpiresAt),
    });
    await recordOauthOutcome(tx, state.id, 'connected', upserted.account.id);
    return upserted;
  });
  // A new connect is the re-authorization: what waited for it goes back to work.
  const resumed = previousStatus === 'reauth_required' ? await resumeParkedWork(context, account.id) : { posts: 0, crawls: 0 };
  const missingScopes = context.tiktok.app.scopes.filter((scope) => !tokens.scopes.includes(scope));
  return { kind: 'connected', account, created, resumed, missingScopes };
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (character) => `&#${character.charCodeAt(0)};`);
}

/** The small page the creator's browser lands on: what happened, in words. */
export function callbackPage(outcome: CallbackOutcome): { httpStatus: CallbackStatus; html: string } {
  const page = (title: string, lines: string[]) =>
    `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>pubcrawl: ${escapeHtml(title)}</title></head><body><h1>${escapeHtml(title)}</h1>${lines.map((line) => `<p>${escapeHtml(line)}</p>`).join('')}</body></html>`;
  if (outcome.kind === 'refused') return { httpStatus: outcome.httpStatus, html: page(outcome.title, [outcome.message]) };
  const { account } = outcome;
  const who = account.username === null ? (account.displayName ?? account.externalId) : `@${account.username}`;
  const lines = [`${who} is connected to pubcrawl as account ${account.id}${outcome.created ? '' : ' (it was connected before; its tokens are renewed)'}.`];
  if (outcome.resumed.posts + outcome.resumed.crawls > 0) lines.push(`Work that waited for this connect resumes: ${outcome.resumed.posts} post(s) and ${outcome.resumed.crawls} crawl(s).`);
  if (outcome.missingScopes.length > 0) lines.push(`The creator did not grant ${outcome.missingScopes.join(', ')}; what needs them will be refused until they connect again and allow it.`);
  lines.push('You can close this page.');
  return { httpStatus: 200, html: page('Connected', lines) };
}
