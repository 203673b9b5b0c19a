import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { parseConfigPatch, type SandboxConfig } from './config';
import { creatorSettingsPatchSchema } from './creator-info';
import { clientErrorStatus, toError } from './errors';
import { parseInput } from './input';
import { confirmedAccount, type QrAction, type QrLogin, type QrRefusal } from './qr-login';
import type { SandboxState } from './state';

export const ADMIN_PREFIX = '/__sandbox';

class BadJsonError extends Error {
  override readonly name = 'BadJsonError';
  readonly statusCode = 400;
}

const keyParams = z.object({ key: z.string().min(1) });
const tokenParams = z.object({ token: z.string().min(1) });
const accountParams = z.object({ accountId: z.string().min(1) });

const count = (field: string) => z.number({ error: `${field} must be a number` }).int(`${field} must be an integer`).min(0, `${field} must not be negative`);
const name = (field: string) => z.string({ error: `${field} is required` }).min(1, `${field} must not be empty`);

const providerAccountSchema = z.strictObject(
  {
    accountId: name('accountId'),
    username: name('username'),
    display_name: name('display_name'),
    avatar_url: z.string({ error: 'avatar_url must be a string' }).optional(),
    bio_description: z.string({ error: 'bio_description must be a string' }).optional(),
    followers: count('followers').optional(),
    following: count('following').optional(),
    likes: count('likes').optional(),
    videos: count('videos').optional(),
    is_verified: z.boolean({ error: 'is_verified must be a boolean' }).optional(),
  },
  { error: 'each account must be an object' },
);

const providerAccountsSchema = z
  .array(providerAccountSchema, { error: 'the body must be an array of accounts' })
  .superRefine((accounts, context) => {
    const seen = new Set<string>();
    accounts.forEach((account, index) => {
      if (seen.has(account.accountId)) context.addIssue({ code: 'custom', path: [index, 'accountId'], message: `accountId ${account.accountId} is listed twice` });
      seen.add(account.accountId);
    });
  });

const confirmBody = z.strictObject(
  {
    accountId: name('accountId').optional(),
    username: name('username').optional(),
    display_name: name('display_name').optional(),
  },
  { error: 'the body must be an object' },
);

/** Drops `undefined` values zod leaves for absent optional keys, so the stored account has no holes. */
function definedFields<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, field]) => field !== undefined)) as T;
}

/** A copy, so callers holding the returned object cannot reach into live state. */
export function configView(config: SandboxConfig): SandboxConfig {
  return {
    ...config,
    accountLimits: config.accountLimits === null ? null : { ...config.accountLimits },
    tiktokVerifiedUrlPrefixes: [...config.tiktokVerifiedUrlPrefixes],
  };
}

/**
 * Test-control endpoints. They sit outside the API guards on purpose: no auth, no quota, no faults,
 * and no stats, so a test can inspect the sandbox without disturbing what it measures.
 */
export function registerAdminRoutes(app: FastifyInstance, state: SandboxState): void {
  // Scripts often send `content-type: application/json` with no body on POST /reset; Fastify's
  // default parser rejects that, which would make resetting the sandbox the flaky part of a test.
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (_request, body, done) => {
    const text = typeof body === 'string' ? body : body.toString('utf8');
    if (text.trim() === '') return done(null, undefined);
    try {
      done(null, JSON.parse(text));
    } catch (caught) {
      done(new BadJsonError(toError(caught).message), undefined);
    }
  });

  app.setErrorHandler((caught, request, reply) => {
    const error = toError(caught);
    const status = clientErrorStatus(error);
    if (status !== null) return reply.code(status).send({ ok: false, error: error.message, field: 'body' });
    request.log.error({ err: error }, 'admin route failed');
    return reply.code(500).send({ ok: false, error: 'Internal sandbox error' });
  });

  app.get('/health', async () => ({ ok: true }));

  app.post('/reset', async () => {
    state.reset();
    return { ok: true };
  });

  app.get('/config', async () => configView(state.config));

  app.put('/config', async (request, reply) => {
    const parsed = parseConfigPatch(request.body ?? {});
    if (!parsed.ok) return reply.code(400).send({ ok: false, error: parsed.error, field: parsed.field });
    return configView(state.configure(parsed.patch));
  });

  app.post('/accounts/:key/expire', async (request, reply) => {
    const params = keyParams.safeParse(request.params);
    if (!params.success) return reply.code(400).send({ ok: false, error: 'key is required', field: 'key' });
    state.sessions.expire(params.data.key);
    return { key: params.data.key, expired: true };
  });

  app.post('/accounts/:key/restore', async (request, reply) => {
    const params = keyParams.safeParse(request.params);
    if (!params.success) return reply.code(400).send({ ok: false, error: 'key is required', field: 'key' });
    state.sessions.restore(params.data.key);
    return { key: params.data.key, expired: false };
  });

  app.get('/stats', async () => state.stats.snapshot());

  const qrView = (login: QrLogin) => ({
    token: login.token,
    unique_id: login.uniqueId,
    status: login.status,
    expiresAt: state.qrLogins.expiresAtIso(login),
  });

  const sendQrRefusal = (reply: FastifyReply, token: string, action: QrAction, refusal: QrRefusal) =>
    refusal.reason === 'not_found'
      ? reply.code(404).send({ ok: false, error: `no QR login with token ${token}`, field: 'token' })
      : reply.code(409).send({ ok: false, error: `cannot ${action} a QR login that is ${refusal.status}`, field: 'token', status: refusal.status });

  const readToken = (request: FastifyRequest, reply: FastifyReply): string | null => {
    const params = tokenParams.safeParse(request.params);
    if (params.success) return params.data.token;
    void reply.code(400).send({ ok: false, error: 'token is required', field: 'token' });
    return null;
  };

  app.get('/qr', async () => state.qrLogins.pending().map(qrView));

  for (const action of ['scan', 'expire'] as const) {
    app.post(`/qr/:token/${action}`, async (request, reply) => {
      const token = readToken(request, reply);
      if (token === null) return reply;
      const result = state.qrLogins.apply(token, action);
      return result.ok ? qrView(result.login) : sendQrRefusal(reply, token, action, result);
    });
  }

  app.post('/qr/:token/confirm', async (request, reply) => {
    const token = readToken(request, reply);
    if (token === null) return reply;
    const body = parseInput(confirmBody, request.body ?? {});
    if (!body.ok) return reply.code(400).send({ ok: false, error: body.error, field: body.field });
    const account = confirmedAccount(token, body.value);
    const result = state.qrLogins.apply(token, 'confirm', account);
    if (!result.ok) return sendQrRefusal(reply, token, 'confirm', result);
    // Linked at confirm time, not at the client's next check: the provider has the account as soon
    // as the user says yes, which is what lets a lost check answer be recovered from the list.
    state.providerAccounts.link(account);
    return { ...qrView(result.login), account };
  });

  app.put('/provider-accounts', async (request, reply) => {
    const body = parseInput(providerAccountsSchema, request.body);
    if (!body.ok) return reply.code(400).send({ ok: false, error: body.error, field: body.field });
    state.providerAccounts.replace(body.value.map(definedFields));
    return state.providerAccounts.list();
  });

  app.put('/creator-info/:accountId', async (request, reply) => {
    const params = accountParams.safeParse(request.params);
    if (!params.success) return reply.code(400).send({ ok: false, error: 'accountId is required', field: 'accountId' });
    const body = parseInput(creatorSettingsPatchSchema, request.body ?? {});
    if (!body.ok) return reply.code(400).send({ ok: false, error: body.error, field: body.field });
    return { accountId: params.data.accountId, ...state.creatorSettings.set(params.data.accountId, body.value) };
  });
}
