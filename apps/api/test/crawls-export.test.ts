import type { AddressInfo } from 'node:net';
import { crawls, insertCrawl } from '@pubcrawl/db';
import { eq, sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApi, type TestApi } from './harness';

const ITEMS = 200_000;
const MB = 1024 * 1024;

describe('the NDJSON export of a large crawl', () => {
  let api: TestApi;
  let crawlId: string;
  let baseUrl: string;

  beforeAll(async () => {
    api = await startTestApi();
    const crawl = await api.db.db.transaction((tx) => insertCrawl(tx, { kind: 'followers', target: { username: 'big' } }));
    if (crawl === null) throw new Error('no crawl inserted');
    crawlId = crawl.id;
    // Seeded with SQL: the export is under test here, not the crawler. Each raw object is shaped and
    // sized like a sandbox follower row (~450 bytes of JSON).
    await api.db.db.execute(sql`
      insert into tiktok_users (id, unique_id, nickname, sec_uid, follower_count, raw)
      select 'u' || g, 'fan_' || g, 'Fan ' || g, 'MS4wLjABAAAA' || md5(g::text), g % 2000,
             jsonb_build_object(
               'user', jsonb_build_object('id', 'u' || g, 'uniqueId', 'fan_' || g, 'nickname', 'Fan ' || g,
                 'secUid', 'MS4wLjABAAAA' || md5(g::text) || md5((g + 1)::text),
                 'avatarThumb', 'https://p16-sign-va.tiktokcdn.com/sandbox/avatar/' || g || '~c5_100x100.jpeg', 'verified', false),
               'stats', jsonb_build_object('followerCount', g % 2000, 'followingCount', 10 + g % 990, 'heartCount', g * 3, 'videoCount', g % 300))
        from generate_series(0, ${ITEMS - 1}) g`);
    await api.db.db.execute(sql`insert into crawl_items (crawl_id, item_id, position) select ${crawlId}::uuid, 'u' || g, g from generate_series(0, ${ITEMS - 1}) g`);
    await api.db.db.update(crawls).set({ status: 'completed', items: ITEMS }).where(eq(crawls.id, crawlId));
    // A real socket: inject() would buffer the whole body, which is the thing we must not do.
    await api.app.listen({ port: 0, host: '127.0.0.1' });
    baseUrl = `http://127.0.0.1:${(api.app.server.address() as AddressInfo).port}`;
  }, 120_000);
  afterAll(async () => {
    await api?.close();
  });

  it(`streams all ${ITEMS} items with flat memory on the API process`, async () => {
    global.gc?.();
    const baseline = process.memoryUsage().rss;
    let peak = baseline;
    let peakFirstQuarter = baseline;
    let lines = 0;
    let bytes = 0;
    let lastPosition = -1;
    let ordered = true;
    let carry = '';
    const sampler = setInterval(() => {
      peak = Math.max(peak, process.memoryUsage().rss);
      if (lines < ITEMS / 4) peakFirstQuarter = peak;
    }, 20);

    const response = await fetch(`${baseUrl}/v1/crawls/${crawlId}/items`, { headers: { ...api.auth, accept: 'application/x-ndjson' } });
    expect(response.status).toBe(200);
    if (response.body === null) throw new Error('no body');
    const decoder = new TextDecoder();
    // The client keeps nothing but counters, so the process's growth is the server's buffering.
    for await (const chunk of response.body) {
      bytes += chunk.byteLength;
      const text = carry + decoder.decode(chunk, { stream: true });
      const parts = text.split('\n');
      carry = parts.pop() ?? '';
      for (const line of parts) {
        const position = Number(/^\{"position":(\d+),/.exec(line)?.[1] ?? NaN);
        if (position !== lastPosition + 1) ordered = false;
        lastPosition = position;
        lines += 1;
      }
    }
    clearInterval(sampler);
    peak = Math.max(peak, process.memoryUsage().rss);

    const growth = (peak - baseline) / MB;
    const lateGrowth = (peak - peakFirstQuarter) / MB;
    console.info(
      `NDJSON export: ${lines} lines, ${(bytes / MB).toFixed(1)} MB streamed; API process RSS ${(baseline / MB).toFixed(0)} MB -> peak ${(peak / MB).toFixed(0)} MB (+${growth.toFixed(1)} MB, +${lateGrowth.toFixed(1)} MB after the first quarter)`,
    );
    expect(lines).toBe(ITEMS);
    expect(ordered).toBe(true);
    expect(carry).toBe('');
    // Loading the crawl would cost several times the payload (rows, objects, the string); streaming
    // costs a few batches. Both bounds are far below the payload so a regression cannot hide.
    expect(bytes / MB).toBeGreaterThan(60);
    expect(growth).toBeLessThan(60);
    expect(lateGrowth).toBeLessThan(25);
  }, 120_000);
});
