import { resolveUpstreams } from '@pubcrawl/config';
import { createDb, type DbHandle } from '@pubcrawl/db';
import { PostingClient } from '@pubcrawl/tiktok';
import type { WorkerContext } from '../context';

/**
 * Resources reserved for publish jobs, one socket and one database connection per concurrent job,
 * because of the stretch between the `publishing` commit and the commit of the provider's answer: a
 * crash inside it leaves the post unconfirmed, so nothing in it may queue behind other work.
 *
 * - `posting`: its own keep-alive sockets. On the shared client (32 sockets for publish and status
 *   calls alike) a publish could wait for a socket inside the window, and worse, reach its overall
 *   timeout while still queued, which reads as "sent, outcome unknown".
 * - `db`: a pool as large as PUBLISH_CONCURRENCY, used only by publish jobs, each of which holds at
 *   most one connection at a time, so a publish job never waits for one. On the shared pool (13
 *   connections for every queue) the answer's write queued behind status polls and other jobs' claims;
 *   in a 1,000-post burst its p50 was 250 ms against a ~100 ms call, and SIGKILLs left 3-4 times
 *   more posts unconfirmed than the calls in flight explain.
 *
 * Created lazily per worker context, closed once shutdown's grace period is over (the runner has
 * handed every job back by then); idle database connections also close on their own after 10 s.
 */
export interface PublishLane {
  posting: PostingClient;
  db: DbHandle;
}

const lanes = new WeakMap<WorkerContext, PublishLane>();

export function publishLane(context: WorkerContext): PublishLane {
  const existing = lanes.get(context);
  if (existing !== undefined) return existing;
  const upstream = resolveUpstreams(context.env).posting;
  const lane: PublishLane = {
    posting: new PostingClient({
      baseUrl: upstream.baseUrl,
      apiKey: upstream.apiKey,
      timeoutMs: context.env.UPSTREAM_TIMEOUT_MS,
      defaultRetryAfterMs: context.env.DEFAULT_RETRY_AFTER_MS,
      connections: context.env.PUBLISH_CONCURRENCY,
      onResponse: (info) => {
        for (const observer of context.onUpstreamResponse) observer(info);
      },
    }),
    db: createDb(context.env.DATABASE_URL, { max: context.env.PUBLISH_CONCURRENCY, applicationName: 'pubcrawl-publish' }),
  };
  lanes.set(context, lane);
  context.shutdown.signal.addEventListener(
    'abort',
    () => {
      const timer = setTimeout(() => void Promise.allSettled([lane.posting.close(), lane.db.close()]), context.env.SHUTDOWN_GRACE_MS + 5_000);
      timer.unref();
    },
    { once: true },
  );
  return lane;
}
