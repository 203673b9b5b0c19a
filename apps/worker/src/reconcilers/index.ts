import type { WorkerContext } from '../context';
import { reconcileAccountLinks } from './account-links';
import { reconcileCrawls } from './crawls';
import { reconcileInsights } from './insights';
import { reconcilePosts } from './posts';
import { reconcileWebhooks } from './webhooks';

/** One reconciliation pass: each function re-enqueues rows that should have a job but have none. */
export type Reconciler = (context: WorkerContext) => Promise<number>;

/**
 * Postgres is the truth and Redis can lose anything (a flush, an old snapshot, a job deleted in
 * Bull Board). Each reconciler compares the rows that need work with the jobs that exist and
 * enqueues what is missing; job ids derived from row ids make a double enqueue harmless.
 */
export const reconcilers: Record<string, Reconciler> = {
  webhooks: reconcileWebhooks,
  crawls: reconcileCrawls,
  posts: reconcilePosts,
  accountLinks: reconcileAccountLinks,
  insights: reconcileInsights,
};

export async function reconcileOnce(context: WorkerContext): Promise<Record<string, number>> {
  const results: Record<string, number> = {};
  for (const [name, reconcile] of Object.entries(reconcilers)) {
    try {
      results[name] = await reconcile(context);
    } catch (caught) {
      const error = caught instanceof Error ? caught : new Error(String(caught));
      context.logger.error({ err: error, reconciler: name }, 'reconciler failed; will retry next interval');
      results[name] = -1;
    }
  }
  return results;
}

export function startReconcilers(context: WorkerContext): { close(): Promise<void> } {
  let running: Promise<unknown> = Promise.resolve();
  const run = () => {
    running = running.then(async () => {
      const results = await reconcileOnce(context);
      const enqueued = Object.values(results).reduce((sum, value) => sum + Math.max(0, value), 0);
      if (enqueued > 0) context.logger.info({ results }, 'reconciler re-enqueued missing jobs');
    });
  };
  run();
  const timer = setInterval(run, context.env.RECONCILE_INTERVAL_MS);
  timer.unref();
  return {
    async close() {
      clearInterval(timer);
      await running.catch(() => undefined);
    },
  };
}
