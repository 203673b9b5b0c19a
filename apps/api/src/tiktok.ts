import { resolveUpstreams, type TikTokApp } from '@pubcrawl/config';
import { accountTokenStore, CredentialsCipher, type DbHandle } from '@pubcrawl/db';
import { TikTokTokenKeeper, TikTokV2Client } from '@pubcrawl/tiktok';
import type { ApiEnv } from './env';

/** The API calls TikTok only inside a client's request (connect callback, creator_info). */
const API_TIKTOK_TIMEOUT_MS = 10_000;

export interface ApiTikTok {
  client: TikTokV2Client;
  app: TikTokApp;
  /** Where TikTok sends the user back: TIKTOK_REDIRECT_URI, or this API's own callback with the sandbox. */
  redirectUri: string;
  tokens: TikTokTokenKeeper;
  cipher: CredentialsCipher;
  close(): Promise<void>;
}

export function createApiTikTok(env: ApiEnv, db: DbHandle): ApiTikTok {
  const app = resolveUpstreams(env).tiktok;
  const client = new TikTokV2Client({ baseUrl: app.baseUrl, authUrl: app.authUrl, clientKey: app.clientKey, clientSecret: app.clientSecret, timeoutMs: API_TIKTOK_TIMEOUT_MS, connections: 8 });
  const cipher = CredentialsCipher.fromConfig(env.CREDENTIALS_KEY, env.DATABASE_URL);
  const ownBase = env.PUBLIC_BASE_URL ?? `http://127.0.0.1:${env.PORT}`;
  return {
    client,
    app,
    redirectUri: app.redirectUri ?? new URL('/v1/oauth/tiktok/callback', ownBase).toString(),
    // The same lock and refresh-ahead rule as the workers': a refresh here and one there cannot race.
    tokens: new TikTokTokenKeeper({ client, store: accountTokenStore(db.db, cipher), refreshAheadMs: env.TIKTOK_REFRESH_AHEAD_MS, refreshTimeoutMs: API_TIKTOK_TIMEOUT_MS }),
    cipher,
    close: () => client.close(),
  };
}
