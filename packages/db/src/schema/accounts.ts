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
