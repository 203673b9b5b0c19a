import { resolveUpstreams } from '@pubcrawl/config';
import { PostingClient } from '@pubcrawl/tiktok';
import type { ApiEnv } from './env';

/**
 * The API calls the posting API only inside a client's request (linking, sync, creator_info), so a
 * slow provider must answer or fail well before the client gives up on us.
 */
const API_UPSTREAM_TIMEOUT_MS = 10_000;

export function createApiPostingClient(env: ApiEnv): PostingClient {
  const upstream = resolveUpstreams(env).posting;
  return new PostingClient({ baseUrl: upstream.baseUrl, apiKey: upstream.apiKey, timeoutMs: API_UPSTREAM_TIMEOUT_MS, connections: 8 });
}
