/**
 * The API's error envelope: `{"error":{"code","message","fields"?}}`. Codes follow the reseller
 * API's style (invalid_input, json_error, not_authenticated, not_found, conflict, rate_limited,
 * server_error).
 */
export type ApiErrorCode = 'invalid_input' | 'json_error' | 'not_authenticated' | 'not_found' | 'conflict' | 'rate_limited' | 'server_error' | 'not_ready' | 'subscription_required' | 'duplicate_content' | 'upstream_unavailable' | 'not_found_on_tiktok' | 'invalid_signature';

export interface ErrorEnvelope {
  error: { code: ApiErrorCode; message: string; fields?: Record<string, string> };
}

export class ApiError extends Error {
  constructor(
    readonly statusCode: number,
    readonly code: ApiErrorCode,
    message: string,
    readonly fields?: Record<string, string>,
    /** Seconds for a Retry-After header (a 503 while the upstream quota refills). */
    readonly retryAfterS?: number,
  ) {
    super(message);
    this.name = 'ApiError';
  }

  toEnvelope(): ErrorEnvelope {
    return { error: { code: this.code, message: this.message, ...(this.fields ? { fields: this.fields } : {}) } };
  }
}

export const invalidInput = (message: string, fields?: Record<string, string>) => new ApiError(400, 'invalid_input', message, fields);
export const notFound = (what: string) => new ApiError(404, 'not_found', `${what} not found`);
export const conflict = (message: string, fields?: Record<string, string>) => new ApiError(409, 'conflict', message, fields);
