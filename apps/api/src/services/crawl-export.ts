import { Readable } from 'node:stream';
import { crawlItemsAfter, type CrawlItemRow, type Executor } from '@pubcrawl/db';
import type { CrawlKind } from '@pubcrawl/domain';
import { toError } from '@pubcrawl/errors';
import type { FastifyBaseLogger, FastifyReply } from 'fastify';

/**
 * Rows per query while streaming. Each batch is one index range scan on (crawl_id, position) and
 * about half a megabyte of output; the stream asks for the next batch only when the client has taken
 * the previous one, so memory stays flat whatever the crawl's size.
 */
export const EXPORT_BATCH_ROWS = 1_000;

export type StreamFormat = 'ndjson' | 'csv';

export const STREAM_CONTENT_TYPES: Record<StreamFormat, string> = {
  ndjson: 'application/x-ndjson; charset=utf-8',
  csv: 'text/csv; charset=utf-8',
};

const VIDEO_CSV_HEADER = 'position,id,author_id,description,posted_at\r\n';
const CSV_HEADERS: Record<CrawlKind, string> = {
  followers: 'position,id,unique_id,nickname,sec_uid,follower_count\r\n',
  hashtag: VIDEO_CSV_HEADER,
  user_posts: VIDEO_CSV_HEADER,
  // A profile crawl stores a snapshot, not items (GET /v1/profiles/:username/history); the header keeps an empty export well-formed.
  profile: VIDEO_CSV_HEADER,
};

/**
 * Every item of a crawl as a byte stream, built from batched keyset queries (no transaction or
 * cursor is held between batches, so a slow client never pins a Postgres connection). Backpressure
 * comes from Readable.from: the generator is resumed only when the stream's buffer has room, and
 * Fastify pipes it into the socket, which stops reading while the client is not.
 */
export function crawlItemsStream(db: Executor, crawl: { id: string; kind: CrawlKind }, format: StreamFormat): Readable {
  return Readable.from(exportChunks(db, crawl, format), { objectMode: false, highWaterMark: 64 * 1024 });
}

async function* exportChunks(db: Executor, crawl: { id: string; kind: CrawlKind }, format: StreamFormat): AsyncGenerator<string, void, undefined> {
  if (format === 'csv') yield CSV_HEADERS[crawl.kind];
  let after = -1;
  for (;;) {
    const rows = await crawlItemsAfter(db, crawl, after, EXPORT_BATCH_ROWS);
    if (rows.length === 0) return;
    let chunk = '';
    for (const row of rows) chunk += format === 'ndjson' ? ndjsonLine(row) : csvLine(crawl.kind, row);
    yield chunk;
    const last = rows[rows.length - 1];
    if (last === undefined || rows.length < EXPORT_BATCH_ROWS) return;
    after = last.position;
  }
}

/** The stored raw JSON is spliced in as text: no parse and re-serialise per row. */
function ndjsonLine(row: CrawlItemRow): string {
  return `{"position":${row.position},"id":${JSON.stringify(row.itemId)},"item":${row.raw ?? 'null'}}\n`;
}

function csvLine(kind: CrawlKind, row: CrawlItemRow): string {
  const fields =
    kind === 'followers'
      ? [String(row.position), row.itemId, text(row.handle), text(row.title), text(row.secUid), row.count === null ? '' : String(row.count)]
      : [String(row.position), row.itemId, text(row.handle), text(row.title), text(row.postedAt)];
  return `${fields.map(csvField).join(',')}\r\n`;
}

function text(value: string | null): string {
  return value ?? '';
}

/**
 * Nicknames and descriptions are written by strangers, and ids come from the upstream too. A cell
 * starting with = + - @ (or a tab or CR) is a formula to Excel and LibreOffice, so every such cell,
 * in every column, gets a leading apostrophe (OWASP's advice for CSV injection). Our own numbers
 * never start with one of those characters, so they are unchanged.
 */
export function csvField(value: string): string {
  const inert = /^[=+\-@\t\r]/.test(value) ? `'${value}` : value;
  return /[",\r\n]/.test(inert) ? `"${inert.replace(/"/g, '""')}"` : inert;
}

const NEGOTIABLE: ReadonlyArray<[string, 'json' | StreamFormat]> = [
  ['application/json', 'json'],
  ['application/x-ndjson', 'ndjson'],
  ['text/csv', 'csv'],
];

/**
 * The representation an Accept header asks for among JSON pages, NDJSON and CSV: the highest
 * q-value wins, ties go to the earlier of json, ndjson, csv, and wildcards or no header mean JSON.
 */
export function negotiateExportFormat(accept: string | undefined): 'json' | StreamFormat {
  if (accept === undefined) return 'json';
  let best: { format: 'json' | StreamFormat; q: number; rank: number } = { format: 'json', q: 0, rank: Number.POSITIVE_INFINITY };
  for (const part of accept.toLowerCase().split(',')) {
    const [type = '', ...parameters] = part.split(';').map((piece) => piece.trim());
    const qParameter = parameters.find((parameter) => parameter.startsWith('q='));
    const q = qParameter === undefined ? 1 : Number.parseFloat(qParameter.slice(2));
    if (!Number.isFinite(q) || q <= 0) continue;
    const rank = NEGOTIABLE.findIndex(([mediaType]) => mediaType === type);
    const entry = NEGOTIABLE[rank];
    if (entry === undefined) continue;
    if (q > best.q || (q === best.q && rank < best.rank)) best = { format: entry[1], q, rank };
  }
  return best.format;
}

/**
 * Sends an NDJSON or CSV export: its content type, a download name for CSV, and a log line if the
 * stream fails mid-way (the status is already sent by then). The reply is the plain FastifyReply:
 * a stream skips the route's response schema (its lines are the objects the JSON pages carry), which
 * a typed reply cannot express.
 */
export function sendExportStream(
  reply: FastifyReply,
  log: FastifyBaseLogger,
  stream: Readable,
  format: StreamFormat,
  options: { csvFilename?: string; logContext: Record<string, unknown> },
): FastifyReply {
  stream.on('error', (e: unknown) => log.error({ err: toError(e), ...options.logContext }, 'export stream failed'));
  void reply.type(STREAM_CONTENT_TYPES[format]);
  if (format === 'csv' && options.csvFilename !== undefined) void reply.header('content-disposition', `attachment; filename="${options.csvFilename}"`);
  return reply.send(stream);
}
