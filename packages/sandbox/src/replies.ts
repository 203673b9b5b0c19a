import { tiktokErrorMessage } from './tiktok-errors';

/** Response bodies, one function per upstream shape, so wording lives in one place. */

export const tikapi = {
  success: { status: 'success', message: '', statusCode: 0 } as const,
  unauthorized: () => ({ message: 'A valid API Key is required.', status: 'error' }),
  rateLimited: () => ({ status: 'error', message: 'API Key Rate-Limit reached.' }),
  /** TikAPI says "Missing fields." for absent and malformed fields alike. */
  badFields: (fields: Record<string, string>) => ({ status: 'error', message: 'Missing fields.', fields }),
  tiktokError: (code: number) => ({ status: 'error', message: tiktokErrorMessage(code), statusCode: code }),
  sessionExpired: () => ({
    status: 'error',
    message: 'Account session expired, please ask user to re-login and re-authorize.',
    statusCode: 8,
  }),
  serverError: (message: string) => ({ status: 'error', message }),
};

export const posting = {
  unauthorized: () => ({ success: false, error: 'Invalid API key', code: 'invalid_api_key' }),
  rateLimited: () => ({ success: false, error: 'Rate limit exceeded', code: 'rate_limit_exceeded' }),
  invalidParams: (field: string, error: string) => ({ success: false, error, code: 'invalid_params', field }),
  tokenInvalid: () => ({
    success: false,
    error: 'The access token is invalid or has expired. Re-authorize the account.',
    code: 'access_token_invalid',
  }),
  notFound: (error = 'Publish not found') => ({ success: false, error, code: 'not_found' }),
  /** TikTok's refusal past its (unpublished) daily post cap; sent with 403, as TikTok does for spam_risk codes. */
  dailyCapReached: () => ({
    success: false,
    error: 'This account has reached its daily post limit. Try again tomorrow.',
    code: 'spam_risk_too_many_posts',
  }),
  /** Seed 004's body for plans without QR login, verbatim: no `success`, no `code`. */
  subscriptionRequired: (subscription: string) => ({
    error: 'QR Code login is only available for Maximum subscription',
    subscription,
  }),
  serverError: (message: string) => ({ success: false, error: message, code: 'internal_error' }),
};

/** Same body on both APIs, as the wire contract asks; clients key on the 500, not the wording. */
export const FAULT_BODY = { status: 'error', message: 'Internal sandbox fault' } as const;
