import { z } from 'zod';
import { ACCOUNT_STATUSES, PROVIDERS } from '@pubcrawl/domain';

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
  createdAt: z.string(),
  updatedAt: z.string(),
});
export type AccountResponse = z.infer<typeof accountSchema>;
