import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

/** TikTok v2 OAuth scopes the sandbox knows; any other requested scope is simply not granted. */
export const TIKTOK_SCOPES = ['user.info.basic', 'user.info.profile', 'user.info.stats', 'video.publish', 'video.upload', 'video.list'] as const;

export const DEFAULT_TIKTOK_CLIENT_KEY = 'sbx_client_key';
export const DEFAULT_TIKTOK_CLIENT_SECRET = 'sbx_client_secret';

/** How long an authorization code may wait before its exchange; TikTok's codes are short-lived too. */
export const AUTH_CODE_TTL_MS = 10 * 60_000;

export interface TikTokGrantInput {
  openId: string;
  scopes: string[];
  redirectUri: string;
  codeChallenge: string | null;
}

interface AuthCode extends TikTokGrantInput {
  expiresAt: number;
}

export interface AccessTokenRecord {
  openId: string;
  scopes: string[];
  expiresAt: number;
  revoked: boolean;
}

interface RefreshTokenRecord {
  openId: string;
  scopes: string[];
  /** Carried over on rotation: TikTok dates a refresh token's life from the first issuance. */
  expiresAt: number;
  /** Set once a refresh has used it; a rotated-out token is refused exactly like a revoked one. */
  used: boolean;
  revoked: boolean;
}

export interface IssuedTokens {
  access_token: string;
  expires_in: number;
  open_id: string;
  refresh_token: string;
  refresh_expires_in: number;
  scope: string;
  token_type: 'Bearer';
}

export type OAuthFailure = { ok: false; error: 'invalid_request' | 'invalid_grant' | 'invalid_client'; description: string };
export type OAuthResult = { ok: true; tokens: IssuedTokens } | OAuthFailure;

export type AccessCheck = { ok: true; token: AccessTokenRecord } | { ok: false; reason: 'unknown' | 'expired' | 'revoked' };

export interface TokenLifetimes {
  accessTtlS: number;
  refreshTtlS: number;
}

function opaque(prefix: string): string {
  return `${prefix}.${randomBytes(24).toString('base64url')}`;
}

function sha256(text: string): Buffer {
  return createHash('sha256').update(text).digest();
}

/**
 * Whether `verifier` answers `challenge` under S256. TikTok's desktop guide hex-encodes the digest,
 * where RFC 7636 uses unpadded base64url; the sandbox accepts either so it refuses only verifiers
 * that match neither, which is the mistake a test is after.
 */
export function pkceMatches(challenge: string, verifier: string): boolean {
  const digest = sha256(verifier);
  return [digest.toString('hex'), digest.toString('base64url')].some((expected) => {
    const a = Buffer.from(expected);
    const b = Buffer.from(challenge);
    return a.length === b.length && timingSafeEqual(a, b);
  });
}

/** Codes, access tokens and refresh tokens of the sandbox's one TikTok app, on the monotonic clock. */
export class TikTokOAuth {
  clientKey = DEFAULT_TIKTOK_CLIENT_KEY;
  clientSecret = DEFAULT_TIKTOK_CLIENT_SECRET;
  /** One-shot: the next authorize answers `access_denied`, whatever it asks for. */
  denyNext = false;
  private readonly codes = new Map<string, AuthCode>();
  private readonly accessTokens = new Map<string, AccessTokenRecord>();
  private readonly refreshTokens = new Map<string, RefreshTokenRecord>();

  constructor(private readonly now: () => number) {}

  issueCode(grant: TikTokGrantInput): string {
    const code = opaque('code');
    this.codes.set(code, { ...grant, scopes: [...grant.scopes], expiresAt: this.now() + AUTH_CODE_TTL_MS });
    return code;
  }

  clientMatches(clientKey: string | undefined, clientSecret: string | undefined): boolean {
    return clientKey === this.clientKey && clientSecret === this.clientSecret;
  }

  exchangeCode(input: { code: string; redirectUri: string; codeVerifier: string | undefined }, lifetimes: TokenLifetimes): OAuthResult {
    const grant = this.codes.get(input.code);
    // Deleted before any check: a code is single-use even when the exchange using it is refused.
    this.codes.delete(input.code);
    if (grant === undefined) return { ok: false, error: 'invalid_grant', description: 'Authorization code is expired or has been used.' };
    if (grant.expiresAt <= this.now()) return { ok: false, error: 'invalid_grant', description: 'Authorization code is expired.' };
    if (grant.redirectUri !== input.redirectUri) return { ok: false, error: 'invalid_grant', description: 'redirect_uri does not match the one used to request the code.' };
    if (grant.codeChallenge !== null && (input.codeVerifier === undefined || !pkceMatches(grant.codeChallenge, input.codeVerifier))) {
      return { ok: false, error: 'invalid_request', description: 'Code verifier or code challenge is invalid.' };
    }
    return { ok: true, tokens: this.issue(grant.openId, grant.scopes, this.now() + lifetimes.refreshTtlS * 1000, lifetimes) };
  }

  refresh(refreshToken: string, lifetimes: TokenLifetimes): OAuthResult {
    const record = this.refreshTokens.get(refreshToken);
    if (record === undefined || record.used || record.revoked || record.expiresAt <= this.now()) {
      return { ok: false, error: 'invalid_grant', description: 'Refresh token is invalid or expired.' };
    }
    record.used = true;
    return { ok: true, tokens: this.issue(record.openId, record.scopes, record.expiresAt, lifetimes) };
  }

  checkAccess(accessToken: string): AccessCheck {
    const token = this.accessTokens.get(accessToken);
    if (token === undefined) return { ok: false, reason: 'unknown' };
    if (token.revoked) return { ok: false, reason: 'revoked' };
    if (token.expiresAt <= this.now()) return { ok: false, reason: 'expired' };
    return { ok: true, token };
  }

  /** Every live access token of the user expires now; refresh tokens are untouched. Returns how many. */
  expireAccess(openId: string): number {
    let count = 0;
    for (const token of this.accessTokens.values()) {
      if (token.openId !== openId || token.revoked || token.expiresAt <= this.now()) continue;
      token.expiresAt = this.now();
      count++;
    }
    return count;
  }

  /** The user removed the app: every token they hold stops working. Returns whether they held any. */
  revoke(openId: string): boolean {
    let found = false;
    for (const token of [...this.accessTokens.values(), ...this.refreshTokens.values()]) {
      if (token.openId !== openId) continue;
      token.revoked = true;
      found = true;
    }
    return found;
  }

  clear(): void {
    this.clientKey = DEFAULT_TIKTOK_CLIENT_KEY;
    this.clientSecret = DEFAULT_TIKTOK_CLIENT_SECRET;
    this.denyNext = false;
    this.codes.clear();
    this.accessTokens.clear();
    this.refreshTokens.clear();
  }

  private issue(openId: string, scopes: string[], refreshExpiresAt: number, lifetimes: TokenLifetimes): IssuedTokens {
    const accessToken = opaque('act');
    const refreshToken = opaque('rft');
    const now = this.now();
    this.accessTokens.set(accessToken, { openId, scopes: [...scopes], expiresAt: now + lifetimes.accessTtlS * 1000, revoked: false });
    this.refreshTokens.set(refreshToken, { openId, scopes: [...scopes], expiresAt: refreshExpiresAt, used: false, revoked: false });
    return {
      access_token: accessToken,
      expires_in: lifetimes.accessTtlS,
      open_id: openId,
      refresh_token: refreshToken,
      refresh_expires_in: Math.max(0, Math.floor((refreshExpiresAt - now) / 1000)),
      scope: scopes.join(','),
      token_type: 'Bearer',
    };
  }
}
