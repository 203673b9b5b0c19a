import { Readable } from 'node:stream';
import { profileHistory, videoHistory, type Executor, type HistoryRange, type ProfileSnapshotRow, type VideoSnapshotRow } from '@pubcrawl/db';
import { csvField, EXPORT_BATCH_ROWS, type StreamFormat } from './crawl-export';

export function profilePoint(row: ProfileSnapshotRow) {
  return { takenAt: row.takenAt.toISOString(), followers: row.followers, following: row.following, likes: row.likes, videos: row.videos, crawlId: row.crawlId };
}

export function videoPoint(row: VideoSnapshotRow) {
  return { takenAt: row.takenAt.toISOString(), plays: row.plays, likes: row.likes, comments: row.comments, shares: row.shares, crawlId: row.crawlId, postId: row.postId };
}

type Range = Omit<HistoryRange, 'limit' | 'afterId'>;

/**
 * A whole time series as NDJSON or CSV, in keyset batches like the crawl export: a long history
 * never sits in memory, and no transaction is held while a slow client reads.
 */
function historyStream<Row extends { id: number }>(
  load: (range: HistoryRange) => Promise<Row[]>,
  range: Range,
  format: StreamFormat,
  point: (row: Row) => Record<string, string | number | null>,
  columns: readonly string[],
): Readable {
  async function* chunks(): AsyncGenerator<string, void, undefined> {
    if (format === 'csv') yield `${columns.join(',')}\r\n`;
    let afterId: number | undefined;
    for (;;) {
      const rows = await load({ ...range, afterId, limit: EXPORT_BATCH_ROWS });
      let chunk = '';
      for (const row of rows) {
        const values = point(row);
        chunk += format === 'ndjson' ? `${JSON.stringify(values)}\n` : `${columns.map((column) => csvField(values[column] === null || values[column] === undefined ? '' : String(values[column]))).join(',')}\r\n`;
      }
      if (chunk !== '') yield chunk;
      const last = rows[rows.length - 1];
      if (last === undefined || rows.length < EXPORT_BATCH_ROWS) return;
      afterId = last.id;
    }
  }
  return Readable.from(chunks(), { objectMode: false, highWaterMark: 64 * 1024 });
}

export function profileHistoryStream(db: Executor, username: string, range: Range, format: StreamFormat): Readable {
  return historyStream((r) => profileHistory(db, username, r), range, format, profilePoint, ['takenAt', 'followers', 'following', 'likes', 'videos', 'crawlId']);
}

export function videoHistoryStream(db: Executor, videoId: string, range: Range, format: StreamFormat): Readable {
  return historyStream((r) => videoHistory(db, videoId, r), range, format, videoPoint, ['takenAt', 'plays', 'likes', 'comments', 'shares', 'crawlId', 'postId']);
}
