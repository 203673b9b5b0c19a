import { timingSafeEqual, createHash } from 'node:crypto';
import { createBullBoard } from '@bull-board/api';
import { BullMQAdapter } from '@bull-board/api/bullMQAdapter';
import { FastifyAdapter } from '@bull-board/fastify';
import type { FastifyInstance } from 'fastify';
import type { App } from './app-type';
import type { ApiContext } from './context';
import { ApiError, type ErrorEnvelope } from './errors';
import type { AuthFailureLimiter } from './rate-limits';
import { findMalformedText } from './text-guard';

export const BOARD_PATH = '/admin/queues';

/** `Authorization: Basic base64(user:password)`, or null when absent or malformed. */
export function basicCredentials(header: string | undefined): { username: string; password: string } | null {
  const match = /^Basic\s+([A-Za-z0-9+/=]+)\s*$/i.exec(header ?? '');
  if (!match?.[1]) return null;
  const decoded = Buffer.from(match[1], 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 0) return null;
  return { username: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
}

function sameSecret(presented: string, expected: string): boolean {
  // Digests first: equal lengths for timingSafeEqual, and no length leak through timing.
  return timingSafeEqual(createHash('sha256').update(presented).digest(), createHash('sha256').update(expected).digest());
}

interface BoardError {
  statusCode?: number;
  message?: string;
}

/**
 * Bull Board's own handler answers every error, a 401 included, as "Internal server error" with the
 * raw message (a Redis Lua error, say), and a stack in development. Ours keeps the envelope the rest
 * of the API uses and says nothing about internals: 4xx keep a generic message, 5xx are logged here
 * and answered as server_error.
 */
function boardErrorResponse(context: ApiContext, error: BoardError): { status: 400 | 404 | 500; body: ErrorEnvelope } {
  const status = typeof error.statusCode === 'number' && error.statusCode >= 400 && error.statusCode < 600 ? error.statusCode : 500;
  if (status === 404) return { status, body: { error: { code: 'not_found', message: 'Not found' } } };
  if (status < 500) return { status: 400, body: { error: { code: 'invalid_input', message: 'The board could not process this request' } } };
  context.logger.error({ err: error }, 'bull board request failed');
  return { status: 500, body: { error: { code: 'server_error', message: 'Internal server error' } } };
}

/** Paging past this is a typo or a probe; BullMQ would turn it into a Redis range that fails. */
const MAX_BOARD_PAGE = 100_000;
const MAX_BOARD_JOBS_PER_PAGE = 1_000;

/**
 * The board hands its query straight to BullMQ: a page of 1e20 reached Redis as a Lua range error.
 * Its paging parameters must be small whole numbers, and its strings obey the same text rule as /v1.
 */
function boardRequestProblem(params: unknown, query: unknown, body: unknown): { field: string; problem: string } | null {
  const text = findMalformedText(params) ?? findMalformedText(query) ?? findMalformedText(body);
  if (text !== null) return text;
  const paging = (query ?? {}) as Record<string, unknown>;
  for (const [field, max] of [
    ['page', MAX_BOARD_PAGE],
    ['jobsPerPage', MAX_BOARD_JOBS_PER_PAGE],
  ] as const) {
    const value = paging[field];
    if (value === undefined) continue;
    if (typeof value !== 'string' || !/^\d{1,7}$/.test(value) || Number(value) < 1 || Number(value) > max) {
      return { field, problem: `must be a whole number from 1 to ${max}` };
    }
  }
  return null;
}

/** `ERRORS.JOB_NOT_FOUND` → `Job not found`. */
function humanizeBoardKey(key: string): string {
  const words = key.replace(/^ERRORS\./, '').toLowerCase().split('_').join(' ');
  return words.charAt(0).toUpperCase() + words.slice(1);
}

/**
 * The board's own error answers (`{"error":{"key":"ERRORS.JOB_NOT_FOUND"}}`) in the API's envelope,
 * so one client can read every error pubcrawl gives. The key stays beside code and message: the
 * board's UI translates it. Its messages name jobs and queues, never internals (those come through
 * boardErrorResponse, which replaces them).
 */
function boardErrorPayload(statusCode: number, payload: unknown): unknown {
  if (statusCode < 400 || typeof payload !== 'string') return payload;
  let parsed: unknown;
  try {
    parsed = JSON.parse(payload);
  } catch {
    return payload;
  }
  const error = (parsed as { error?: unknown } | null)?.error;
  const key = typeof error === 'object' && error !== null && typeof (error as { key?: unknown }).key === 'string' ? (error as { key: string }).key : null;
  if (typeof error !== 'string' && key === null) return payload;
  const code = statusCode === 404 ? 'not_found' : statusCode >= 500 ? 'server_error' : 'invalid_input';
  const message = statusCode >= 500 ? 'Internal server error' : key === null ? String(error) : humanizeBoardKey(key);
  return JSON.stringify({ error: { code, message, ...(key === null ? {} : { key }) } });
}

/**
 * Bull Board at /admin/queues behind HTTP basic auth. Without BOARD_USERNAME and BOARD_PASSWORD it
 * is not mounted at all: an open board can delete, retry and promote jobs.
 */
export async function registerBoard(app: App, context: ApiContext, authFailures: AuthFailureLimiter): Promise<boolean> {
  const { BOARD_USERNAME: username, BOARD_PASSWORD: password, BOARD_READ_ONLY: readOnlyMode } = context.env;
  if (!username || !password) return false;

  const serverAdapter = new FastifyAdapter();
  serverAdapter.setBasePath(BOARD_PATH);
  createBullBoard({
    queues: Object.values(context.queues).map((queue) => new BullMQAdapter(queue, { readOnlyMode })),
    serverAdapter,
    options: { uiConfig: { boardTitle: 'pubcrawl' } },
  });
  // After createBullBoard, which installs its own handler on the adapter.
  serverAdapter.setErrorHandler((error: BoardError) => boardErrorResponse(context, error));

  // The board's routes carry no zod schemas; its own scope keeps our validator out of its way. The
  // login check answers by itself rather than throwing, because a thrown error would reach the
  // board's error handler, whose typed statuses know neither 401 nor 429.
  await app.register(async (scope: FastifyInstance) => {
    scope.addHook('onRequest', async (request, reply) => {
      try {
        await authFailures.assertAllowed(request, reply);
      } catch (refused) {
        if (!(refused instanceof ApiError)) throw refused;
        return reply.status(refused.statusCode).send(refused.toEnvelope());
      }
      const presented = basicCredentials(request.headers.authorization);
      if (presented !== null && sameSecret(presented.username, username) && sameSecret(presented.password, password)) return;
      if (presented !== null) await authFailures.recordFailure(request);
      return reply
        .status(401)
        .header('www-authenticate', 'Basic realm="pubcrawl board", charset="UTF-8"')
        .send({ error: { code: 'not_authenticated', message: 'The board needs its username and password (HTTP basic auth)' } } satisfies ErrorEnvelope);
    });
    scope.addHook('preValidation', async (request, reply) => {
      const problem = boardRequestProblem(request.params, request.query, request.body);
      if (problem === null) return;
      return reply.status(400).send({ error: { code: 'invalid_input', message: `Invalid field: ${problem.field}`, fields: { [problem.field]: problem.problem } } } satisfies ErrorEnvelope);
    });
    scope.addHook('onSend', async (_request, reply, payload) => boardErrorPayload(reply.statusCode, payload));
    await scope.register(serverAdapter.registerPlugin(), { prefix: BOARD_PATH });
  });
  return true;
}
