import {
  cancelCrawl,
  crawlItemsAfter,
  crawlView,
  decodePositionCursor,
  encodePositionCursor,
  findCrawl,
  insertCrawl,
  listCrawls,
  requeueCrawls,
  type CrawlCheckpointRow,
  type CrawlRow,
} from '@pubcrawl/db';
import { crawlJobId, crawlQueueName, enqueueCrawl } from '@pubcrawl/queue';
import { crawlItemSchema, crawlItemsQuerySchema, crawlSchema, createCrawlBodySchema, crawlMaxItemsProblem, errorEnvelopeSchema, listCrawlsQuerySchema, pageOf, uuidParamsSchema, type CrawlExportFormat } from '@pubcrawl/contracts';

import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { ApiContext } from '../context';
import { conflict, invalidInput, notFound } from '../errors';
import { assertCrawlAccount } from '../services/crawl-account';
import { crawlItemsStream, negotiateExportFormat, sendExportStream } from '../services/crawl-export';
import { toError } from '@pubcrawl/errors';

const errors = { 400: errorEnvelopeSchema, 404: errorEnvelopeSchema, 409: errorEnvelopeSchema };

export const crawlsRoutes = (context: ApiContext): FastifyPluginAsyncZod =>
  async function crawls(app) {
    const { db } = context.db;

    /** Postgres first, Redis second: a failed enqueue leaves a queued crawl the reconciler picks up. */
    const enqueue = async (crawl: CrawlRow, segmentPages: number): Promise<void> => {
      try {
        await enqueueCrawl(context.queues, crawl, segmentPages);
      } catch (e) {
        context.logger.warn({ err: toError(e), crawlId: crawl.id }, 'could not enqueue the crawl; the reconciler will');
      }
    };

    const load = async (id: string): Promise<{ crawl: CrawlRow; checkpoint: CrawlCheckpointRow | null }> => {
      const found = await findCrawl(db, id);
      if (found === null) throw notFound('Crawl');
      return found;
    };

    app.post(
      '/crawls',
      {
        schema: {
          summary: 'Start a followers or hashtag crawl',
          description:
            'Answers 202 at once; the crawl runs in the workers. A followers crawl with an accountId reads /user/followers with that account key. ' +
            `maxItems may be at most ${context.env.CRAWL_MAX_ITEMS_LIMIT} on this server (CRAWL_MAX_ITEMS_LIMIT).`,
          body: createCrawlBodySchema,
          response: { 202: crawlSchema, 400: errorEnvelopeSchema },
        },
      },
      async (request, reply) => {
        const body = request.body;
        const maxItemsProblem = crawlMaxItemsProblem(body, context.env.CRAWL_MAX_ITEMS_LIMIT);
        if (maxItemsProblem !== null) throw invalidInput('Invalid field: maxItems', { maxItems: maxItemsProblem });
        if (body.kind === 'followers' && body.accountId !== undefined) await assertCrawlAccount(context.db.db, body.accountId, 'accountId');
        const crawl = await db.transaction((tx) => insertCrawl(tx, body));
        // Only a scheduled insert can collide (same schedule and fire time); an API insert cannot.
        if (crawl === null) throw new Error('insertCrawl returned null for an API request');
        await enqueue(crawl, 0);
        const found = await load(crawl.id);
        return reply.status(202).send(crawlView(found.crawl, found.checkpoint));
      },
    );

    app.get(
      '/crawls',
      {
        schema: {
          summary: 'List crawls, newest first',
          querystring: listCrawlsQuerySchema,
          response: { 200: pageOf(crawlSchema), 400: errorEnvelopeSchema },
        },
      },
      async (request) => {
        const page = await listCrawls(db, request.query);
        if (page === null) throw invalidInput('Invalid cursor', { cursor: 'is not a cursor this API returned' });
        return { items: page.items.map(({ crawl, checkpoint }) => crawlView(crawl, checkpoint)), nextCursor: page.nextCursor };
      },
    );

    app.get(
      '/crawls/:id',
      { schema: { summary: 'One crawl with its progress', params: uuidParamsSchema, response: { 200: crawlSchema, 404: errorEnvelopeSchema } } },
      async (request) => {
        const found = await load(request.params.id);
        return crawlView(found.crawl, found.checkpoint);
      },
    );

    app.post(
      '/crawls/:id/cancel',
      {
        schema: {
          summary: 'Cancel a queued, running or parked crawl',
          description: 'A running crawl stops after the page in flight; what it stored so far stays.',
          params: uuidParamsSchema,
          response: { 200: crawlSchema, ...errors },
        },
      },
      async (request) => {
        const found = await load(request.params.id);
        const cancelled = await cancelCrawl(db, found.crawl.id);
        if (cancelled === null) throw conflict(`A ${found.crawl.status} crawl cannot be cancelled`, { status: found.crawl.status });
        if (found.checkpoint !== null) {
          // Tidy only: a waiting job would otherwise start, see `cancelled` and stop. An active job
          // is locked and stays; it stops at its next page.
          const jobId = crawlJobId(cancelled, found.checkpoint.segmentPages);
          await context.queues[crawlQueueName(cancelled.kind)].remove(jobId).catch((e: unknown) => {
            context.logger.debug({ err: toError(e), jobId }, 'could not remove the cancelled crawl job');
          });
        }
        return crawlView(cancelled, found.checkpoint);
      },
    );

    app.post(
      '/crawls/:id/resume',
      {
        schema: {
          summary: 'Put a failed or cancelled crawl back in the queue, from its checkpoint',
          params: uuidParamsSchema,
          response: { 202: crawlSchema, ...errors },
        },
      },
      async (request, reply) => {
        const found = await load(request.params.id);
        const [resumed] = await db.transaction((tx) => requeueCrawls(tx, { crawlId: found.crawl.id }, ['failed', 'cancelled']));
        if (resumed === undefined) {
          const hint = found.crawl.status === 'reauth_required' ? '; re-authorise its account to resume it' : '';
          throw conflict(`A ${found.crawl.status} crawl cannot be resumed${hint}`, { status: found.crawl.status });
        }
        await enqueue(resumed.crawl, resumed.checkpoint.segmentPages);
        return reply.status(202).send(crawlView(resumed.crawl, resumed.checkpoint));
      },
    );

    app.get(
      '/crawls/:id/items',
      {
        schema: {
          summary: 'The crawled users or videos, in upstream order',
          description:
            'JSON pages with keyset pagination by default. With `Accept: application/x-ndjson` or `?format=ndjson`, or `Accept: text/csv` or `?format=csv`, streams every item of the crawl (limit and cursor are ignored).',
          params: uuidParamsSchema,
          querystring: crawlItemsQuerySchema,
          response: { 200: pageOf(crawlItemSchema), 400: errorEnvelopeSchema, 404: errorEnvelopeSchema },
        },
      },
      async (request, reply) => {
        const { crawl } = await load(request.params.id);
        const format = exportFormat(request.query.format, request.headers.accept);
        if (format !== 'json') {
          return sendExportStream(reply, request.log, crawlItemsStream(db, crawl, format), format, {
            csvFilename: `crawl-${crawl.id}.csv`,
            logContext: { crawlId: crawl.id },
          });
        }
        const after = request.query.cursor === undefined ? -1 : decodePositionCursor(request.query.cursor);
        if (after === null) throw invalidInput('Invalid cursor', { cursor: 'is not a cursor this API returned' });
        const rows = await crawlItemsAfter(db, crawl, after, request.query.limit + 1);
        const items = rows.slice(0, request.query.limit);
        const last = items[items.length - 1];
        return {
          items: items.map((row) => ({ position: row.position, id: row.itemId, item: row.raw === null ? null : (JSON.parse(row.raw) as unknown) })),
          nextCursor: rows.length > request.query.limit && last !== undefined ? encodePositionCursor(last.position) : null,
        };
      },
    );
  };

/** `?format=` wins; otherwise the Accept header picks JSON pages, NDJSON or CSV. */
function exportFormat(format: CrawlExportFormat | undefined, accept: string | undefined): CrawlExportFormat {
  return format ?? negotiateExportFormat(accept);
}

