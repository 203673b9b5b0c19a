import { Readable } from 'node:stream';
import {
  decodePositionCursor,
  encodePositionCursor,
  findCrawl,
  followerChangeBaseline,
  followerChangeCounts,
  followerChangeItemsAfter,
  type CrawlRow,
  type Executor,
  type FollowerChangeRow,
} from '@pubcrawl/db';
import {
  crawlChangeItemSchema,
  crawlChangeItemsQuerySchema,
  crawlChangesSchema,
  errorEnvelopeSchema,
  pageOf,
  uuidParamsSchema,
  type CrawlChangeItemResponse,
  type CrawlChangeType,
} from '@pubcrawl/contracts';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { ApiContext } from '../context';
import { conflict, invalidInput, notFound } from '../errors';
import { csvField, EXPORT_BATCH_ROWS, negotiateExportFormat, sendExportStream, type StreamFormat } from '../services/crawl-export';

const errors = { 400: errorEnvelopeSchema, 404: errorEnvelopeSchema, 409: errorEnvelopeSchema };

export const crawlChangesRoutes = (context: ApiContext): FastifyPluginAsyncZod =>
  async function crawlChanges(app) {
    const { db } = context.db;

    /** Only a completed followers crawl has a follower list to compare; anything else is a 409 naming `id`. */
    const loadComparable = async (id: string): Promise<CrawlRow> => {
      const found = await findCrawl(db, id);
      if (found === null) throw notFound('Crawl');
      const { crawl } = found;
      if (crawl.kind !== 'followers') throw conflict(`A ${crawl.kind} crawl has no follower changes`, { id: 'is not a followers crawl' });
      if (crawl.status !== 'completed') throw conflict(`A ${crawl.status} crawl has no follower changes yet`, { id: `is ${crawl.status}, not completed` });
      return crawl;
    };

    app.get(
      '/crawls/:id/changes',
      {
        schema: {
          summary: 'Followers gained and lost since the previous crawl of the same target',
          description:
            'Compares a completed followers crawl with the latest completed followers crawl of the same target (same resolved secUid, or the same username when unresolved) that finished before it. ' +
            'When either crawl stopped early (finishReason other than `exhausted`), `truncated` is true and `lost` is null: a follower the shorter list never reached is not known to be lost. ' +
            '`gained` still counts the followers of this crawl that are not in the previous one. With no previous crawl, previousCrawlId, gained and lost are null.',
          params: uuidParamsSchema,
          response: { 200: crawlChangesSchema, ...errors },
        },
      },
      async (request) => {
        const crawl = await loadComparable(request.params.id);
        const counts = await followerChangeCounts(db, crawl.id);
        return { crawlId: crawl.id, ...counts };
      },
    );

    app.get(
      '/crawls/:id/changes/items',
      {
        schema: {
          summary: 'The followers gained or lost since the previous crawl',
          description:
            '`type=gained`: in this crawl and not in the previous one, in this crawl\u2019s order; `type=lost`: in the previous crawl and not in this one, in that crawl\u2019s order (409 when truncated: lost is unknown). ' +
            'JSON pages with keyset pagination by default; `Accept: application/x-ndjson` or `?format=ndjson`, or `Accept: text/csv` or `?format=csv`, streams them all (limit and cursor are ignored). 409 when there is no previous crawl.',
          params: uuidParamsSchema,
          querystring: crawlChangeItemsQuerySchema,
          response: { 200: pageOf(crawlChangeItemSchema), ...errors },
        },
      },
      async (request, reply) => {
        const crawl = await loadComparable(request.params.id);
        const { type } = request.query;
        const baseline = await followerChangeBaseline(db, crawl.id);
        if (baseline.previousCrawlId === null) throw conflict('There is no previous completed crawl of this target to compare with', { id: 'has no previous crawl' });
        if (type === 'lost' && baseline.truncated) {
          throw conflict('Lost followers are unknown: this crawl or the previous one stopped early, so a missing follower may just not have been reached', { type: 'lost is unknown for a truncated comparison' });
        }
        const sides = sidesOf(type, crawl.id, baseline.previousCrawlId);
        const format = request.query.format ?? negotiateExportFormat(request.headers.accept);
        if (format !== 'json') {
          const stream = Readable.from(changeChunks(db, sides, format), { objectMode: false, highWaterMark: 64 * 1024 });
          return sendExportStream(reply, request.log, stream, format, { csvFilename: `crawl-${crawl.id}-${type}.csv`, logContext: { crawlId: crawl.id, type } });
        }
        const after = request.query.cursor === undefined ? -1 : decodePositionCursor(request.query.cursor);
        if (after === null) throw invalidInput('Invalid cursor', { cursor: 'is not a cursor this API returned' });
        const rows = await followerChangeItemsAfter(db, sides, after, request.query.limit + 1);
        const items = rows.slice(0, request.query.limit);
        const last = items[items.length - 1];
        return {
          items: items.map(changeItemView),
          nextCursor: rows.length > request.query.limit && last !== undefined ? encodePositionCursor(last.position) : null,
        };
      },
    );
  };

/** Gained: in this crawl, not the previous one. Lost: the other way round. */
function sidesOf(type: CrawlChangeType, crawlId: string, previousCrawlId: string): { inCrawlId: string; notInCrawlId: string } {
  return type === 'gained' ? { inCrawlId: crawlId, notInCrawlId: previousCrawlId } : { inCrawlId: previousCrawlId, notInCrawlId: crawlId };
}

function changeItemView(row: FollowerChangeRow): CrawlChangeItemResponse {
  return { position: row.position, id: row.itemId, uniqueId: row.uniqueId, nickname: row.nickname, secUid: row.secUid };
}

const CSV_HEADER = 'position,id,unique_id,nickname,sec_uid\r\n';

/**
 * Every changed item as text, a batch of queries at a time (each batch its own short transaction, so
 * a slow client pins no connection); Readable.from resumes the generator only when the socket has
 * taken the previous chunk, so memory stays flat whatever the crawls' size.
 */
async function* changeChunks(db: Executor, sides: { inCrawlId: string; notInCrawlId: string }, format: StreamFormat): AsyncGenerator<string, void, undefined> {
  if (format === 'csv') yield CSV_HEADER;
  let after = -1;
  for (;;) {
    const rows = await followerChangeItemsAfter(db, sides, after, EXPORT_BATCH_ROWS);
    let chunk = '';
    for (const row of rows) {
      const item = changeItemView(row);
      chunk +=
        format === 'ndjson'
          ? `${JSON.stringify(item)}\n`
          : `${[String(item.position), item.id, item.uniqueId ?? '', item.nickname ?? '', item.secUid ?? ''].map(csvField).join(',')}\r\n`;
    }
    if (chunk !== '') yield chunk;
    const last = rows[rows.length - 1];
    if (last === undefined || rows.length < EXPORT_BATCH_ROWS) return;
    after = last.position;
  }
}
