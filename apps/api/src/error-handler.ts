import type { FastifyError } from 'fastify';
import type { App } from './app-type';
import { hasZodFastifySchemaValidationErrors, isResponseSerializationError } from 'fastify-type-provider-zod';
import { ApiError, type ErrorEnvelope } from './errors';
import { toError } from '@pubcrawl/errors';

function fieldName(context: string | undefined, instancePath: string): string {
  const path = instancePath.replace(/^\//, '').split('/').filter(Boolean).join('.');
  if (path) return path;
  return context ?? 'body';
}

/** Fastify's errors carry `code` and `statusCode`; anything else thrown has neither, which reads the same. */
function asFastifyError(caught: unknown): FastifyError {
  return toError(caught) as FastifyError;
}

/**
 * Postgres's "data exception" codes for a value it cannot hold: bad text encoding (22021, 22P05),
 * out-of-range numbers and times (22003, 22008), malformed literals (22P02, 22007).
 */
const POSTGRES_VALUE_ERRORS = new Set(['22021', '22P05', '22003', '22008', '22P02', '22007']);

export function registerErrorHandling(app: App): void {
  app.setErrorHandler((caught: unknown, request, reply) => {
    const error = asFastifyError(caught);
    if (error instanceof ApiError) {
      if (error.retryAfterS !== undefined) void reply.header('retry-after', String(error.retryAfterS));
      return reply.status(error.statusCode).send(error.toEnvelope());
    }

    if (hasZodFastifySchemaValidationErrors(error)) {
      const fields: Record<string, string> = {};
      for (const issue of error.validation) {
        const name = fieldName(error.validationContext, issue.instancePath);
        fields[name] ??= issue.message ?? 'invalid';
      }
      const names = Object.keys(fields);
      const body: ErrorEnvelope = {
        error: { code: 'invalid_input', message: `Invalid ${names.length === 1 ? 'field' : 'fields'}: ${names.join(', ')}`, fields },
      };
      return reply.status(400).send(body);
    }

    // Fastify's JSON body parser: broken JSON, an empty body with a JSON content type, a body that
    // is too large. None of them are the server's fault.
    if (error instanceof SyntaxError || error.code === 'FST_ERR_CTP_EMPTY_JSON_BODY' || error.code === 'FST_ERR_CTP_INVALID_JSON_BODY') {
      return reply.status(400).send({ error: { code: 'json_error', message: 'The request body is not valid JSON' } } satisfies ErrorEnvelope);
    }
    if (error.code === 'FST_ERR_CTP_BODY_TOO_LARGE') {
      return reply.status(413).send({ error: { code: 'invalid_input', message: 'The request body is too large', fields: { body: 'too large' } } } satisfies ErrorEnvelope);
    }
    if (error.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE') {
      return reply.status(415).send({ error: { code: 'invalid_input', message: 'Send JSON with Content-Type: application/json', fields: { 'content-type': 'unsupported' } } } satisfies ErrorEnvelope);
    }
    if (error.statusCode === 401) {
      return reply.status(401).send({ error: { code: 'not_authenticated', message: error.message } } satisfies ErrorEnvelope);
    }
    if (typeof error.statusCode === 'number' && error.statusCode >= 400 && error.statusCode < 500) {
      return reply.status(error.statusCode).send({ error: { code: 'invalid_input', message: error.message } } satisfies ErrorEnvelope);
    }

    if (error.statusCode === 429) {
      return reply.status(429).send({ error: { code: 'rate_limited', message: error.message } } satisfies ErrorEnvelope);
    }
    // A value Postgres cannot hold that validation let through. The guards at the boundary should
    // have refused it with the field named; this keeps a gap there a 400 rather than a 500, and the
    // warning says which request found it.
    const postgresCode = typeof (error as { code?: unknown }).code === 'string' ? (error as { code: string }).code : '';
    if (POSTGRES_VALUE_ERRORS.has(postgresCode) && (error as { severity?: unknown }).severity !== undefined) {
      request.log.warn({ err: error, url: request.url.split('?')[0] }, 'a value reached Postgres that it cannot store');
      return reply.status(400).send({ error: { code: 'invalid_input', message: 'A value in this request cannot be stored' } } satisfies ErrorEnvelope);
    }

    if (isResponseSerializationError(error)) request.log.error({ err: error, issues: error.cause.issues }, 'response did not match its schema');
    else request.log.error({ err: error }, 'unhandled error');
    return reply.status(500).send({ error: { code: 'server_error', message: 'Internal server error' } } satisfies ErrorEnvelope);
  });

  app.setNotFoundHandler((request, reply) => {
    reply.status(404).send({ error: { code: 'not_found', message: `No route for ${request.method} ${request.url.split('?')[0]}` } } satisfies ErrorEnvelope);
  });
}
