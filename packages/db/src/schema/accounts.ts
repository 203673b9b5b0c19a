import { boolean, index, jsonb, pgTable, text, uniqueIndex, uuid } from 'drizzle-orm/pg-core';
import { id, keysetCreatedAt, timestampTz, updatedAt } from './columns';
import { accountLinkStatusEnum, accountStatusEnum, providerEnum } from './enums';

export const accounts = pgTable(
  'accounts',
  {
    id: id(),
    label: text('label').notNull(),
    provider: providerEnum('provider').notNull(),
    /** The provider's own id: the posting API's accountId, or the TikAPI account's username. */
    externalId: text('external_id').notNull(),
    /** AES-256-GCM ciphertext (`v1:<iv>:<tag>:<data>`, base64); never returned by the API. */
    credentialsEncrypted: text('credentials_encrypted'),
    status: accountStatusEnum('status').notNull().default('active'),
    reauthReason: text('reauth_reason'),
    reauthRequiredAt: timestampTz('reauth_required_at'),
    /** Operator's switch: a paused account's due posts wait (`account_paused`) and nothing is sent. */
    paused: boolean('paused').notNull().default(false),
    /** From the provider's account list or QR confirmation; null when never synced. */
    username: text('username'),
    displayName: text('display_name'),
    /** avatar_url, bio, followers, following, likes, videos, is_verified as the provider last listed them. */
    profile: jsonb('profile'),
    syncedAt: timestampTz('synced_at'),
    unlinkedAt: timestampTz('unlinked_at'),
    /** The provider's creator_info answer, cached for CREATOR_INFO_TTL_S. */
    creatorInfo: jsonb('creator_info'),
    creatorInfoFetchedAt: timestampTz('creator_info_fetched_at'),
    /**
     * The provider refused a post with spam_risk_too_many_posts: nothing is sent for this account
     * before this instant (its rolling 24 h window rolls), whatever our own count says.
     */
    dailyCapUntil: timestampTz('daily_cap_until'),
    /** TikTok refused an inbox upload (spam_risk_too_many_pending_share): drafts wait until then. */
    pendingShareUntil: timestampTz('pending_share_until'),
    /**
     * tiktok accounts: when the stored access token expires (plain, so a refresh ahead of expiry can
     * be found without decrypting every row). The tokens themselves are in `credentialsEncrypted`.
     */
    accessExpiresAt: timestampTz('access_expires_at'),
    createdAt: keysetCreatedAt(),
    updatedAt: updatedAt(),
  },
  (table) => [
    uniqueIndex('accounts_provider_external_id_key').on(table.provider, table.externalId),
    index('accounts_status_idx').on(table.status),
    index('accounts_created_at_id_idx').on(table.createdAt, table.id),
  ],
);

/**
 * One QR login attempt. The provider's token is what authenticates a check, so it is stored
 * encrypted like account credentials and never returned; clients address the attempt by id.
 */
export const accountLinks = pgTable(
  'account_links',
  {
    id: id(),
    provider: providerEnum('provider').notNull(),
    label: text('label'),
    tokenEncrypted: text('token_encrypted').notNull(),
    uniqueId: text('unique_id').notNull(),
    status: accountLinkStatusEnum('status').notNull().default('new'),
    expiresAt: timestampTz('expires_at').notNull(),
    accountId: uuid('account_id').references(() => accounts.id),
    message: text('message'),
    checkedAt: timestampTz('checked_at'),
    createdAt: keysetCreatedAt(),
    updatedAt: updatedAt(),
  },
  (table) => [index('account_links_status_expires_at_idx').on(table.status, table.expiresAt)],
);

/**
 * One OAuth connect attempt. Only a hash of `state` is stored: the state is the bearer credential
 * of the callback (which has no API key), so a database read must not be enough to forge one. The
 * PKCE verifier is encrypted like account credentials. `usedAt` makes the state single-use.
 */
export const oauthStates = pgTable(
  'oauth_states',
  {
    id: id(),
    provider: providerEnum('provider').notNull(),
    stateHash: text('state_hash').notNull(),
    codeVerifierEncrypted: text('code_verifier_encrypted').notNull(),
    label: text('label'),
    redirectUri: text('redirect_uri').notNull(),
    expiresAt: timestampTz('expires_at').notNull(),
    usedAt: timestampTz('used_at'),
    /** What the callback made of it: `connected`, `denied`, `failed`. */
    outcome: text('outcome'),
    accountId: uuid('account_id').references(() => accounts.id),
    createdAt: keysetCreatedAt(),
  },
  (table) => [uniqueIndex('oauth_states_state_hash_key').on(table.stateHash), index('oauth_states_expires_at_idx').on(table.expiresAt)],
);

/**
 * A provider that refused every account for a while (TikTok's `reached_active_user_cap`, until
 * 00:00 UTC). Kept in Postgres, not only in the Redis limiter, so a Redis flush does not forget it.
 */
export const providerPauses = pgTable('provider_pauses', {
  provider: providerEnum('provider').primaryKey(),
  until: timestampTz('until').notNull(),
  code: text('code').notNull(),
  message: text('message').notNull(),
  updatedAt: updatedAt(),
});
