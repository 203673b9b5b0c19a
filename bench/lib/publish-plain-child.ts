/**
 * The plain loop of bench/publish-burst, in a process of its own so it has the same topology as a
 * worker process (the sandbox has its own process too): `concurrency` loops, each claiming a post
 * (`scheduled -> publishing` with its event, the guarded transition the worker commits), calling
 * the posting API's create post, and recording the answer (`publishing -> processing` with the
 * publish id, one statement). No queue, no limiter, no status polls.
 *
 * It starts and connects before the posts exist (prints `{"booted":true}`), as a worker process
 * does, then reads the burst's instant (epoch ms) from stdin, loads its share of the posts (the
 * `shard`-th of every `shards` by id) before that instant, as a loop that already holds its work
 * would, and starts its loops at that instant. Prints `{"posts":n,"cpuMs":ms}` when done (the
 * CPU time the loops used), and stays connected until SIGTERM.
 *
 * argv: <sandboxUrl> <databaseUrl> <concurrency> <shard> <shards>
 */
import { createInterface } from 'node:readline';
import { setTimeout as sleep } from 'node:timers/promises';
import { createDb, transitionPost } from '@pubcrawl/db';
import { createPostBodySchema } from '@pubcrawl/contracts';
import { PostingClient, type PostingCreatePostBody } from '@pubcrawl/tiktok';
import { z } from 'zod';
import { API_KEY } from './publish-bench';

const [sandboxUrl, databaseUrl, concurrency, shard, shards] = z
  .tuple([z.url(), z.string().min(1), z.coerce.number().int().min(1), z.coerce.number().int().min(0), z.coerce.number().int().min(1)])
  .parse(process.argv.slice(2));

const db = createDb(databaseUrl, { max: concurrency, applicationName: 'pubcrawl-bench-plain' });
const posting = new PostingClient({ baseUrl: sandboxUrl, apiKey: API_KEY, connections: concurrency });

/** The stored request as the posting API's body (the bench's posts are all videos). */
function bodyOf(request: unknown, externalId: string): PostingCreatePostBody {
  const { content, mediaItems, settings } = createPostBodySchema.parse(request);
  return {
    accountId: externalId,
    content,
    mediaItems: mediaItems.map((item) => ({ url: item.url })),
    tiktokSettings: {
      privacy_level: settings.privacyLevel,
      allow_comment: settings.allowComment,
      ...(settings.allowDuet === undefined ? {} : { allow_duet: settings.allowDuet }),
      ...(settings.allowStitch === undefined ? {} : { allow_stitch: settings.allowStitch }),
      media_type: 'video',
    },
  };
}

/** The first line on stdin: the instant the posts are due. */
async function scheduledAtFromStdin(): Promise<number> {
  for await (const line of createInterface({ input: process.stdin })) return z.coerce.number().parse(line);
  throw new Error('stdin closed before the burst instant arrived');
}

try {
  await db.pool.query('select 1');
  console.log(JSON.stringify({ booted: true }));
  const scheduledAtMs = await scheduledAtFromStdin();
  const all = await db.pool.query<{ id: string; generation: number; request: unknown; external_id: string }>(
    'select p.id, p.generation, p.request, a.external_id from posts p join accounts a on a.id = p.account_id order by p.id',
  );
  const mine = all.rows.filter((_, index) => index % shards === shard);
  if (Date.now() >= scheduledAtMs) throw new Error('loading the posts took longer than the lead; raise --lead-ms');
  await sleep(Math.max(0, scheduledAtMs - Date.now()));

  const cpuBefore = process.cpuUsage();
  let next = 0;
  const loop = async (): Promise<void> => {
    for (let item = mine[next++]; item !== undefined; item = mine[next++]) {
      const body = bodyOf(item.request, item.external_id);
      const claimed = await transitionPost(db.db, item.id, ['scheduled'], 'publishing', {
        code: 'submitting',
        message: null,
        attemptsDelta: 1,
        generation: item.generation,
        patch: { submittedAt: new Date() },
      });
      if (claimed === null) throw new Error(`post ${item.id} was not scheduled`);
      const result = await posting.createPost(body);
      const recorded = await transitionPost(db.db, item.id, ['publishing'], 'processing', {
        code: 'submitted',
        message: null,
        data: { publishId: result.publishId, mediaType: result.mediaType },
        patch: { publishId: result.publishId, pollDeadlineAt: new Date(Date.now() + 30 * 60_000), lastErrorCode: null, lastErrorMessage: null },
      });
      if (recorded === null) throw new Error(`post ${item.id} lost its claim`);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, loop));
  const cpu = process.cpuUsage(cpuBefore);
  console.log(JSON.stringify({ posts: mine.length, cpuMs: (cpu.user + cpu.system) / 1000 }));
  // Connected until the parent has read the CPU time of this child's Postgres backends.
  await new Promise((resolve) => process.once('SIGTERM', resolve));
} finally {
  await posting.close();
  await db.close();
}
