import { index, pgTable, text, uniqueIndex } from 'drizzle-orm/pg-core';
import { id, keysetCreatedAt, timestampTz, updatedAt } from './columns';
import { accountStatusEnum, providerEnum } from './enums';

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
    createdAt: keysetCreatedAt(),
    updatedAt: updatedAt(),
  },
  (table) => [
    uniqueIndex('accounts_provider_external_id_key').on(table.provider, table.externalId),
    index('accounts_status_idx').on(table.status),
    index('accounts_created_at_id_idx').on(table.createdAt, table.id),
  ],
);
