import { accountView, CredentialsCipher, findAccount, insertAccount, isUniqueViolation, listAccounts, recordAccountReauthorized } from '@pubcrawl/db';
import { accountSchema, createAccountBodySchema, errorEnvelopeSchema, pageOf, pageQuerySchema, reauthorizeAccountBodySchema, uuidParamsSchema, type CreateAccountBody } from '@pubcrawl/contracts';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { ApiContext } from '../context';
import { conflict, invalidInput, notFound } from '../errors';
import { resumeParkedWork } from '../services/resume-parked';

const errors = { 400: errorEnvelopeSchema, 404: errorEnvelopeSchema };

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
          response: { 200: reauthorizedSchema, ...errors },
        },
      },
      async (request) => {
        const credentials = request.body?.credentials;
        const row = await recordAccountReauthorized(db, request.params.id, {
          credentialsEncrypted: credentials === undefined ? undefined : encryptCredentials(cipher, credentials),
        });
        if (row === null) throw notFound('Account');
        // The account is active (committed) before anything resumes, so a resumed job that runs at
        // once sees an active account rather than parking again.
        const resumed = await resumeParkedWork(context, row.id);
        return { ...accountView(row), resumed };
      },
    );
  };
