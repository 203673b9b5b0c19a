import { z } from 'zod';
import { ACCOUNT_LINK_STATUSES, ACCOUNT_STATUSES, PROVIDERS } from '@pubcrawl/domain';

export const accountCredentialsSchema = z
  .object({
    /**
     * TikAPI's X-ACCOUNT-KEY for the account; required for authenticated crawls. It is sent as a
     * header, so only visible ASCII fits: a key with CR, LF, NUL or non-ASCII was once accepted and
     * then failed every request, leaving its crawls retrying in `running` forever.
     */
    accountKey: z
      .string()
      .min(1)
      .max(512)
      .regex(/^[\x21-\x7E]+$/, 'must be visible ASCII (0x21-0x7E): no spaces, control characters or non-ASCII')
      .optional(),
  })
  .strict();

export const createAccountBodySchema = z
  .object({
    label: z.string().trim().min(1).max(200),
    provider: z.enum(PROVIDERS),
    externalId: z.string().trim().min(1).max(200).describe("The provider's account id (posting API accountId, or the TikTok username for tikapi)"),
    credentials: accountCredentialsSchema.optional(),
  })
  .strict();
export type CreateAccountBody = z.infer<typeof createAccountBodySchema>;

export const reauthorizeAccountBodySchema = z.object({ credentials: accountCredentialsSchema.optional() }).strict();
export type ReauthorizeAccountBody = z.infer<typeof reauthorizeAccountBodySchema>;

export const accountSchema = z.object({
  id: z.uuid(),
  label: z.string(),
  provider: z.enum(PROVIDERS),
  externalId: z.string(),
  status: z.enum(ACCOUNT_STATUSES),
  hasCredentials: z.boolean(),
  reauthReason: z.string().nullable(),
  reauthRequiredAt: z.string().nullable(),
  paused: z.boolean().describe("An operator's pause: due posts wait with account_paused"),
  username: z.string().nullable(),
  displayName: z.string().nullable(),
  profile: z.record(z.string(), z.unknown()).nullable().describe('avatar_url, bio_description, followers, following, likes, videos, is_verified as the provider last listed them'),
  syncedAt: z.string().nullable(),
  unlinkedAt: z.string().nullable(),
  createdAt: z.string(),
  updatedAt: z.string(),
});
export type AccountResponse = z.infer<typeof accountSchema>;

const labelSchema = z.string().trim().min(1).max(200);

export const linkAccountBodySchema = z
  .object({
    provider: z.literal('posting').describe('QR login exists on the posting API only'),
    label: labelSchema.optional(),
  })
  .strict();
export type LinkAccountBody = z.infer<typeof linkAccountBodySchema>;

export const accountLinkCreatedSchema = z.object({
  linkId: z.uuid(),
  qrCodeImage: z.string().describe('A data: URI of the QR code to show the creator'),
  expiresAt: z.string(),
});

export const accountLinkSchema = z.object({
  linkId: z.uuid(),
  status: z.enum(ACCOUNT_LINK_STATUSES),
  expiresAt: z.string(),
  message: z.string().nullable(),
  account: accountSchema.optional().describe('Present once the link is confirmed'),
});

export const syncAccountsBodySchema = z.object({ provider: z.literal('posting') }).strict();

export const syncAccountsResponseSchema = z.object({
  created: z.array(accountSchema),
  updated: z.array(accountSchema),
  relinked: z.array(accountSchema).describe('Unlinked or deleted accounts the provider lists again; their waiting posts resume'),
  unlinked: z.array(accountSchema).describe('Accounts the provider no longer lists; their due posts wait with account_unlinked'),
});

export const updateAccountBodySchema = z
  .object({
    label: labelSchema.optional(),
    paused: z.boolean().optional().describe('true holds every due post of the account (account_paused); false sends them again'),
  })
  .strict()
  .refine((body) => body.label !== undefined || body.paused !== undefined, { message: 'give label or paused', path: ['label'] });
export type UpdateAccountBody = z.infer<typeof updateAccountBodySchema>;

export const deletedAccountSchema = accountSchema.extend({
  cancelledPosts: z.number().int(),
  disabledSchedules: z.number().int(),
});

export const creatorInfoQuerySchema = z
  .object({ maxAge: z.coerce.number().int().min(0).max(86_400).optional().describe('Seconds; 0 forces a fresh read. Default CREATOR_INFO_TTL_S') })
  .strict();

export const creatorInfoSchema = z.object({
  accountId: z.uuid(),
  privacyLevelOptions: z.array(z.string()).nullable(),
  commentDisabled: z.boolean().nullable(),
  duetDisabled: z.boolean().nullable(),
  stitchDisabled: z.boolean().nullable(),
  maxVideoPostDurationSec: z.number().nullable(),
  username: z.string().nullable(),
  nickname: z.string().nullable(),
  avatarUrl: z.string().nullable(),
  fetchedAt: z.string(),
  source: z.enum(['cache', 'upstream']),
  stale: z.boolean().describe('True when a fresh read failed and this is the last answer, older than the TTL'),
});

export const connectAccountBodySchema = z
  .object({
    provider: z.literal('tiktok').describe("OAuth connect exists for TikTok's own API (the tiktok provider)"),
    label: labelSchema.optional().describe('Only used when the account is new'),
  })
  .strict();
export type ConnectAccountBody = z.infer<typeof connectAccountBodySchema>;

export const accountConnectStartedSchema = z.object({
  authorizeUrl: z.string().describe("TikTok's authorize page; send the creator there"),
  state: z.string().describe('Single-use; the callback must bring it back within 10 minutes'),
  expiresAt: z.string(),
});

export const oauthCallbackQuerySchema = z.object({
  code: z.string().max(2_000).optional(),
  state: z.string().max(200).optional(),
  error: z.string().max(200).optional(),
  error_description: z.string().max(2_000).optional(),
  scopes: z.string().max(2_000).optional(),
});
export type OauthCallbackQuery = z.infer<typeof oauthCallbackQuerySchema>;
