import { z } from 'zod';
import { SessionExpired } from './errors';
import type { TikTokTokens, TikTokV2Client } from './tiktok-v2-client';

/** What a tiktok account's `credentials_encrypted` holds, once decrypted. */
export const TikTokStoredTokens = z.object({
  accessToken: z.string().min(1),
  /** Wall-clock ms. */
  accessExpiresAt: z.number(),
  refreshToken: z.string().min(1),
  refreshExpiresAt: z.number(),
  openId: z.string().min(1),
  scopes: z.array(z.string()),
});
export type TikTokStoredTokens = z.infer<typeof TikTokStoredTokens>;

export function toStoredTokens(tokens: TikTokTokens): TikTokStoredTokens {
  return {
    accessToken: tokens.accessToken,
    accessExpiresAt: tokens.accessExpiresAt,
    refreshToken: tokens.refreshToken,
    refreshExpiresAt: tokens.refreshExpiresAt,
    openId: tokens.openId,
    scopes: tokens.scopes,
  };
}

/**
 * Where the pair lives (Postgres, encrypted). `withLock` runs `work` while holding the account's
 * refresh lock and stores what it returns, so one refresh runs per account across every process,
 * and the rotated pair is never half-written.
 */
export interface TikTokTokenStore {
  read(accountId: string): Promise<{ plain: unknown; active: boolean } | null>;
  withLock<T>(accountId: string, work: (current: { plain: unknown; active: boolean } | null) => Promise<{ store: TikTokStoredTokens | null; value: T }>): Promise<T>;
}

export interface TikTokTokenKeeperOptions {
  client: Pick<TikTokV2Client, 'refresh'>;
  store: TikTokTokenStore;
  /** A token this close to expiry is refreshed before use. */
  refreshAheadMs: number;
  /**
   * The longest one refresh call may take. It runs while the account's refresh lock (and a database
   * connection) is held, so it must be bounded as a whole.
   */
  refreshTimeoutMs: number;
  clock?: () => number;
  /** Counted once per refresh that reached TikTok (metrics). */
  onRefresh?: (outcome: 'refreshed' | 'refused') => void;
}

function reauth(message: string, code = 'invalid_grant'): SessionExpired {
  return new SessionExpired({ upstream: 'tiktok', endpoint: 'POST /v2/oauth/token/', code, message });
}

/**
 * Hands out a usable access token for a tiktok account: refreshed ahead of expiry, refreshed once
 * more when TikTok calls it invalid, and never refreshed twice at once for one account.
 */
export class TikTokTokenKeeper {
  readonly #options: TikTokTokenKeeperOptions;
  readonly #clock: () => number;

  constructor(options: TikTokTokenKeeperOptions) {
    this.#options = options;
    this.#clock = options.clock ?? Date.now;
  }

  /** A token valid for at least `refreshAheadMs`, refreshing (under the lock) when it is not. */
  async accessToken(accountId: string): Promise<string> {
    const stored = await this.#options.store.read(accountId);
    const tokens = this.#parse(stored?.plain);
    if (stored?.active !== true) throw reauth('the account must be re-authorized (connect it again)', 'account_reauth_required');
    if (tokens.accessExpiresAt - this.#clock() > this.#options.refreshAheadMs) return tokens.accessToken;
    return this.refresh(accountId, tokens.accessToken);
  }

  /**
   * Refreshes unless another process already replaced `staleAccessToken` with a pair that is still
   * good, in which case that pair's token is the answer and TikTok is not asked.
   */
  async refresh(accountId: string, staleAccessToken: string): Promise<string> {
    return this.#options.store.withLock(accountId, async (current) => {
      if (current?.active !== true) throw reauth('the account must be re-authorized (connect it again)', 'account_reauth_required');
      const tokens = this.#parse(current.plain);
      const now = this.#clock();
      if (tokens.accessToken !== staleAccessToken && tokens.accessExpiresAt - now > this.#options.refreshAheadMs) {
        return { store: null, value: tokens.accessToken };
      }
      if (tokens.refreshExpiresAt <= now) throw reauth(`the refresh token expired at ${new Date(tokens.refreshExpiresAt).toISOString()}; connect the account again`, 'refresh_token_expired');
      try {
        const next = toStoredTokens(await this.#options.client.refresh(tokens.refreshToken, { signal: AbortSignal.timeout(this.#options.refreshTimeoutMs) }));
        this.#options.onRefresh?.('refreshed');
        return { store: next, value: next.accessToken };
      } catch (caught) {
        if (caught instanceof SessionExpired) this.#options.onRefresh?.('refused');
        throw caught;
      }
    });
  }

  /**
   * Runs `call` with a fresh token. TikTok answers an expired token with `access_token_invalid`, so
   * that answer gets one refresh and one more try; a second refusal is the caller's SessionExpired.
   * `initialToken` is one the caller already holds (and took quota for), so the first try costs no
   * read of the store.
   */
  async withAccessToken<T>(accountId: string, call: (accessToken: string) => Promise<T>, options: { initialToken?: string } = {}): Promise<T> {
    const token = options.initialToken ?? (await this.accessToken(accountId));
    try {
      return await call(token);
    } catch (caught) {
      if (!(caught instanceof SessionExpired) || caught.code !== 'access_token_invalid') throw caught;
      return call(await this.refresh(accountId, token));
    }
  }

  #parse(plain: unknown): TikTokStoredTokens {
    const parsed = TikTokStoredTokens.safeParse(plain);
    if (!parsed.success) throw reauth('the stored TikTok tokens are missing or unreadable; connect the account again', 'credentials_unreadable');
    return parsed.data;
  }
}
