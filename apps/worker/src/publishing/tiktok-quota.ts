import { apiKeyScope, tiktokTokenScope, waitForQuota, type QuotaScope } from '@pubcrawl/tiktok';
import type { WorkerContext } from '../context';

/**
 * The buckets a tiktok call draws from: always the token's own, and for inits also the app's,
 * which only TikTok's `reached_active_user_cap` ever blocks (until 00:00 UTC). Status polls,
 * creator_info and video lists stay out of it, so a paused app still learns its posts' outcomes.
 */
export function tiktokScopes(context: WorkerContext, action: 'publish' | 'status' | 'creatorInfo', accessToken: string): QuotaScope[] {
  const token = tiktokTokenScope(action, accessToken);
  return action === 'publish' ? [token, apiKeyScope(context.tiktokApp.clientKey)] : [token];
}

/** Waits (QuotaWait) until the token may make another call of this kind, fleet-wide. */
export async function acquireTikTokQuota(context: WorkerContext, action: 'publish' | 'status' | 'creatorInfo', accessToken: string): Promise<void> {
  await waitForQuota(await context.limiter.acquire(tiktokScopes(context, action, accessToken)));
}

/**
 * The calls a tiktok send may make inside its publishing window, each bounded by
 * UPSTREAM_TIMEOUT_MS: the init, and after `access_token_invalid` a refresh and a second init.
 */
export const TIKTOK_SEND_CALLS = 3;
