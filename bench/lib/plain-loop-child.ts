/**
 * The plain loop of bench/crawl-ingest, in a process of its own so it has the same topology as the
 * pipeline's worker (the sandbox stays in the parent): fetch a page, commit it with applyCrawlPage
 * (the SQL the workers use), repeat; no queue, no limiter, no segments.
 *
 * argv: <sandboxUrl> <databaseUrl> <username>[,<username>...] [--repeat]
 * Crawls the users in turn; with --repeat it starts over with fresh crawl rows until it is killed
 * (the side-by-side mode measures it over the pipeline's window). Prints one JSON line per crawl.
 */
import { applyCrawlPage, createDb, insertCrawl, startCrawlRun } from '@pubcrawl/db';
import { TikApiClient } from '@pubcrawl/tiktok';
import { fetchCrawlPage } from '@pubcrawl/worker';
import { z } from 'zod';
import { API_KEY } from './crawl-bench';

const [sandboxUrl, databaseUrl, usernames, repeat] = z
  .tuple([z.url(), z.string().min(1), z.string().min(1), z.literal('--repeat').optional()])
  .parse(process.argv.slice(2));
const db = createDb(databaseUrl, { max: 2, applicationName: 'pubcrawl-bench-plain' });
const client = new TikApiClient({ baseUrl: sandboxUrl, apiKey: API_KEY });

async function crawlOnce(username: string): Promise<{ rows: number; pages: number; ms: number }> {
  const started = performance.now();
  const { secUid } = await client.checkUser(username);
  const crawl = await db.db.transaction((tx) => insertCrawl(tx, { kind: 'followers', target: { secUid } }));
  if (crawl === null) throw new Error('no crawl');
  await startCrawlRun(db.db, crawl.id, crawl.generation);
  let state = { cursor: null as string | null, hasMore: true, pages: 0, items: 0 };
  while (state.hasMore) {
    const page = await fetchCrawlPage(client, { kind: 'followers', secUid, accountKey: null }, state.cursor);
    const applied = await applyCrawlPage(db.db, {
      guard: { crawlId: crawl.id, generation: crawl.generation, pages: state.pages, segmentPages: 0 },
      rows: page.rows,
      next: page.next,
      maxNewItems: null,
    });
    if (!applied.applied) throw new Error('the plain loop lost its own checkpoint');
    state = applied.checkpoint;
  }
  return { rows: state.items, pages: state.pages, ms: performance.now() - started };
}

try {
  do {
    for (const username of usernames.split(',')) console.log(JSON.stringify(await crawlOnce(username)));
  } while (repeat !== undefined);
} finally {
  await client.close();
  await db.close();
}
