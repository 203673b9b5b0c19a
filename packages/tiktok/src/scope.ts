import { createHash } from 'node:crypto';

/** The upstreams we talk to: TikAPI (scraping), the posting API (publishing) and TikTok's own v2 API. */
export type Upstream = 'tikapi' | 'posting' | 'tiktok';

/**
 * Per-account actions TikTok meters separately. TikTok documents, per user access token:
 * 6 publish inits, 30 status fetches and 20 creator-info queries per minute.
 */
export type AccountAction = 'publish' | 'status' | 'creatorInfo';

/**
 * One quota bucket. An API key scope carries a SHA-256 of the key, never the key itself, because
 * scopes end up in Redis key names, in `RateLimited` errors and therefore in logs. It does not name
 * the upstream: the quota belongs to the key, and a key used against both APIs (as in the sandbox)
 * must draw from one bucket.
 */
export type QuotaScope =
  | { kind: 'apiKey'; keyHash: string }
  | { kind: 'account'; action: AccountAction; accountId: string };

/** Hex SHA-256 of the key: stable across processes, and useless to anyone who reads Redis or logs. */
export function hashApiKey(apiKey: string): string {
  return createHash('sha256').update(apiKey).digest('hex');
}

export function apiKeyScope(apiKey: string): QuotaScope {
  return { kind: 'apiKey', keyHash: hashApiKey(apiKey) };
}

export function accountScope(action: AccountAction, accountId: string): QuotaScope {
  return { kind: 'account', action, accountId };
}

/** A stable, secret-free identifier: used as the Redis key suffix and in messages. */
export function scopeId(scope: QuotaScope): string {
  return scope.kind === 'apiKey'
    ? `key:${scope.keyHash}`
    : `account:${scope.action}:${scope.accountId}`;
}
