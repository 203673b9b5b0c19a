import { accountView, CredentialsCipher, deleteAccount, findAccount, insertAccount, isUniqueViolation, listAccounts, recordAccountReauthorized, updateAccountControls } from '@pubcrawl/db';
import {
  accountLinkCreatedSchema,
  accountLinkSchema,
  accountSchema,
  createAccountBodySchema,
  creatorInfoQuerySchema,
  creatorInfoSchema,
  deletedAccountSchema,
  errorEnvelopeSchema,
  linkAccountBodySchema,
  pageOf,
  pageQuerySchema,
  reauthorizeAccountBodySchema,
  syncAccountsBodySchema,
  syncAccountsResponseSchema,
  updateAccountBodySchema,
  uuidParamsSchema,
  type CreateAccountBody,
} from '@pubcrawl/contracts';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { ApiContext } from '../context';
import { conflict, invalidInput, notFound } from '../errors';
import { accountLinkView, startAccountLink, syncAccounts, upstreamFailure } from '../services/account-links';
import { creatorInfoFor } from '../services/creator-info';
import { resumeParkedWork, resumeWaitingPosts } from '../services/resume-parked';

const errors = { 400: errorEnvelopeSchema, 404: errorEnvelopeSchema };
const upstreamErrors = { 403: errorEnvelopeSchema, 429: errorEnvelopeSchema, 502: errorEnvelopeSchema, 503: errorEnvelopeSchema };
const linkParamsSchema = z.object({ linkId: z.uuid() }).strict();

const reauthorizedSchema = accountSchema.extend({
  resumed: z.object({ posts: z.number().int(), crawls: z.number().int() }).describe('Parked work put back in the queue'),
});

/** Credentials are stored only when there is something in them; `{}` means "none". */
function encryptCredentials(cipher: CredentialsCipher, credentials: CreateAccountBody['credentials']): string | null {
  if (credentials === undefined || Object.values(credentials).every((value) => value === undefined)) return null;
  return cipher.encrypt(credentials);
}

export const accountsRoutes = (context: ApiContext): FastifyPluginAsyncZod =>
  async function accountsPlugin(app) {
    const { db } = context.db;
    const cipher = CredentialsCipher.fromConfig(context.env.CREDENTIALS_KEY, context.env.DATABASE_URL);

    app.post(
      '/accounts',
      {
        schema: {
          summary: 'Register an account. Credentials are stored encrypted and never returned',
          body: createAccountBodySchema,
          response: { 201: accountSchema, 409: errorEnvelopeSchema, ...errors },
        },
      },
      async (request, reply) => {
        const body = request.body;
        // A tiktok account is its OAuth token pair, which only a completed connect can produce.
        if (body.provider === 'tiktok') throw invalidInput('Invalid field: provider', { provider: 'tiktok accounts are connected through POST /v1/accounts/connect' });
        try {
          const row = await insertAccount(db, {
            label: body.label,
            provider: body.provider,
            externalId: body.externalId,
            credentialsEncrypted: encryptCredentials(cipher, body.credentials),
          });
          return reply.status(201).send(accountView(row));
        } catch (caught) {
          if (isUniqueViolation(caught)) throw conflict(`A ${body.provider} account with this externalId already exists`, { externalId: 'already registered' });
          throw caught;
        }
      },
    );

    app.get(
      '/accounts',
      {
        schema: {
          summary: 'List accounts, newest first (keyset pagination)',
          querystring: pageQuerySchema,
          response: { 200: pageOf(accountSchema), ...errors },
        },
      },
      async (request) => {
        const { limit, cursor } = request.query;
        const page = await listAccounts(db, { limit, cursor });
        if (page === null) throw invalidInput('Invalid field: cursor', { cursor: 'is not a cursor from this API' });
        return { items: page.items.map(accountView), nextCursor: page.nextCursor };
      },
    );

    app.get(
      '/accounts/:id',
      { schema: { summary: 'One account', params: uuidParamsSchema, response: { 200: accountSchema, ...errors } } },
      async (request) => {
        const account = await findAccount(db, request.params.id);
        if (account === null) throw notFound('Account');
        return accountView(account);
      },
    );

    app.post(
      '/accounts/:id/reauthorize',
      {
        schema: {
          summary: 'Mark an account active again (optionally with new credentials) and resume everything parked on it',
          params: uuidParamsSchema,
          body: reauthorizeAccountBodySchema.nullish(),
          response: { 200: reauthorizedSchema, 409: errorEnvelopeSchema, ...errors },
        },
      },
      async (request) => {
        const credentials = request.body?.credentials;
        const target = await findAccount(db, request.params.id);
        if (target?.provider === 'tiktok') throw conflict('A tiktok account is re-authorized by connecting it again: POST /v1/accounts/connect', { id: 'is a tiktok account' });
        const row = await recordAccountReauthorized(db, request.params.id, {
          credentialsEncrypted: credentials === undefined ? undefined : encryptCredentials(cipher, credentials),
        });
        if (row === null) {
          const existing = await findAccount(db, request.params.id);
          if (existing === null) throw notFound('Account');
          throw conflict(`The account is ${existing.status}; ${existing.status === 'deleted' ? 'link it again to bring it back' : 'link it again or sync once the provider lists it'}`, { id: `is ${existing.status}` });
        }
        // The account is active (committed) before anything resumes, so a resumed job that runs at
        // once sees an active account rather than parking again.
        const resumed = await resumeParkedWork(context, row.id);
        return { ...accountView(row), resumed };
      },
    );

    app.post(
      '/accounts/link',
      {
        schema: {
          summary: 'Start linking a posting-API account by QR code; pubcrawl polls the provider until it is confirmed or expires',
          body: linkAccountBodySchema,
          response: { 201: accountLinkCreatedSchema, ...errors, ...upstreamErrors },
        },
      },
      async (request, reply) => {
        const created = await startAccountLink(context, cipher, request.body).catch((caught: unknown) => {
          throw upstreamFailure(caught);
        });
        return reply.status(201).send(created);
      },
    );

    app.get(
      '/accounts/link/:linkId',
      {
        schema: {
          summary: 'Where a QR link stands: new, scanned, confirmed (with the account), expired or utilised',
          params: linkParamsSchema,
          response: { 200: accountLinkSchema, ...errors },
        },
      },
      async (request) => {
        const view = await accountLinkView(context, request.params.linkId);
        if (view === null) throw notFound('Link');
        return view;
      },
    );

    app.post(
      '/accounts/sync',
      {
        schema: {
          summary: 'Import or update every account the provider lists; accounts it no longer lists become unlinked. Idempotent',
          body: syncAccountsBodySchema,
          response: { 200: syncAccountsResponseSchema, ...errors, ...upstreamErrors },
        },
      },
      async () => {
        const outcome = await syncAccounts(context).catch((caught: unknown) => {
          throw upstreamFailure(caught);
        });
        return {
          created: outcome.created.map(accountView),
          updated: outcome.updated.map(accountView),
          relinked: outcome.relinked.map(accountView),
          unlinked: outcome.unlinked.map(accountView),
        };
      },
    );

    app.get(
      '/accounts/:id/creator-info',
      {
        schema: {
          summary: "The creator's posting permissions (privacy levels, comment/duet/stitch switches), cached for CREATOR_INFO_TTL_S",
          params: uuidParamsSchema,
          querystring: creatorInfoQuerySchema,
          response: { 200: creatorInfoSchema, 409: errorEnvelopeSchema, ...errors, ...upstreamErrors },
        },
      },
      async (request) => {
        const account = await findAccount(db, request.params.id);
        if (account === null || account.status === 'deleted') throw notFound('Account');
        if (account.provider === 'tikapi') throw conflict('creator_info exists for posting and tiktok accounts only', { id: `is a ${account.provider} account` });
        const view = await creatorInfoFor(context, account, { maxAgeS: request.query.maxAge });
        if (view === null) throw upstreamFailure(new Error(`the ${account.provider === 'tiktok' ? 'TikTok' : 'posting'} API did not answer creator_info`));
        const { info } = view;
        return {
          accountId: account.id,
          privacyLevelOptions: info.privacyLevelOptions ?? null,
          commentDisabled: info.commentDisabled ?? null,
          duetDisabled: info.duetDisabled ?? null,
          stitchDisabled: info.stitchDisabled ?? null,
          maxVideoPostDurationSec: info.maxVideoPostDurationSec ?? null,
          username: info.username ?? null,
          nickname: info.nickname ?? null,
          avatarUrl: info.avatarUrl ?? null,
          fetchedAt: view.fetchedAt.toISOString(),
          source: view.source,
          stale: view.stale,
        };
      },
    );

    app.patch(
      '/accounts/:id',
      {
        schema: {
          summary: 'Rename or pause an account. A paused account sends nothing; its due posts wait with account_paused',
          params: uuidParamsSchema,
          body: updateAccountBodySchema,
          response: { 200: accountSchema, ...errors },
        },
      },
      async (request) => {
        const before = await findAccount(db, request.params.id);
        const row = await updateAccountControls(db, request.params.id, request.body);
        if (before === null || row === null) throw notFound('Account');
        // Posts held by the pause go now, not at their next recheck.
        if (before.paused && !row.paused) await resumeWaitingPosts(context, row.id);
        return accountView(row);
      },
    );

    app.delete(
      '/accounts/:id',
      {
        schema: {
          summary: 'Remove an account from service: cancels its unstarted posts, disables its schedules, keeps its history. 409 while a post is being sent',
          params: uuidParamsSchema,
          response: { 200: deletedAccountSchema, 409: errorEnvelopeSchema, ...errors },
        },
      },
      async (request) => {
        const outcome = await deleteAccount(db, request.params.id);
        if (!outcome.ok && outcome.reason === 'not_found') throw notFound('Account');
        if (!outcome.ok) {
          throw conflict(`The account has posts being published or processed (${outcome.postIds.join(', ')}); delete it once they finish`, { status: 'posts are publishing or processing' });
        }
        return { ...accountView(outcome.account), cancelledPosts: outcome.cancelledPosts, disabledSchedules: outcome.disabledSchedules };
      },
    );
  };
