import { activePostsAfter, transitionPost, type ActivePost } from '@pubcrawl/db';
import { enqueuePublishes, jobIds } from '@pubcrawl/queue';
import { QUEUE_NAMES } from '@pubcrawl/domain';
import type { Queue } from 'bullmq';
import type { WorkerContext } from '../context';
import { endPost, ensureStatusPoll, inFlightSettledAt, sendWindowMs, statusHorizonMs } from '../publishing/outcomes';
import { isLive } from './job-states';

/**
 * Posts read per round. Their jobs' states are asked all at once: the look-ups are pipelined on the
 * queue's one connection, so a round costs a few round trips, not a thousand.
 */
const BATCH = 1_000;

/**
 * Every post in scheduled / publishing / processing must have a live job: `publish-<id>-<gen>` for
 * scheduled and publishing, `status-<id>-<gen>` for processing. Where Redis lost it (FLUSHALL, an
 * old snapshot, a job removed in Bull Board) or it finished without moving the post on, this puts
 * it back. Idempotent: job ids come from the row, and every state change is a guarded transition,
 * so any number of workers may run it at once. Returns how many posts it acted on.
 *
 * A `publishing` post without a publish id is never re-enqueued for sending: if its job is gone
 * and the call must have ended, its outcome is unknown and it becomes `unconfirmed`.
 */
export async function reconcilePosts(context: WorkerContext): Promise<number> {
  let acted = 0;
  let after: string | null = null;
  for (;;) {
    const batch = await activePostsAfter(context.db.db, after, BATCH);
    if (batch.length === 0) break;
    acted += await repairBatch(context, batch);
    const last = batch[batch.length - 1];
    if (last === undefined || batch.length < BATCH) break;
    after = last.id;
  }
  return acted;
}

function jobFor(context: WorkerContext, post: ActivePost): { queue: Queue; jobId: string } {
  if (post.status === 'processing') return { queue: context.queues[QUEUE_NAMES.publishStatus], jobId: jobIds.publishStatus(post.id, post.generation) };
  return { queue: context.queues[QUEUE_NAMES.publish], jobId: `${jobIds.publish(post.id)}-${post.generation}` };
}

async function repairBatch(context: WorkerContext, batch: readonly ActivePost[]): Promise<number> {
  const states = await Promise.all(batch.map((post) => {
    const { queue, jobId } = jobFor(context, post);
    return queue.getJobState(jobId);
  }));
  const lost = batch.filter((_, index) => !isLive(states[index] ?? 'unknown'));
  if (lost.length === 0) return 0;

  let acted = 0;
  const replace: ActivePost[] = [];
  for (const post of lost) {
    if (post.status === 'publishing' && post.publishId === null) {
      if (await declareUnconfirmed(context, post)) acted += 1;
    } else {
      replace.push(post);
    }
  }
  // A finished job or debris under the id would make BullMQ ignore the add, so it goes first; a
  // job whose lock a worker holds is not removed (remove answers 0) and waits for the next pass.
  const removed = await Promise.all(
    replace.map((post) => {
      const { queue, jobId } = jobFor(context, post);
      return queue.remove(jobId);
    }),
  );
  const cleared = replace.filter((_, index) => removed[index] === 1);
  const publishes = cleared.filter((post) => post.status === 'scheduled');
  await enqueuePublishes(context.queues, publishes);
  const polls = await Promise.all(cleared.filter((post) => post.status !== 'scheduled').map((post) => restartPoll(context, post)));
  return acted + publishes.length + polls.filter(Boolean).length;
}

/** A `publishing` post whose job is gone: its call is never re-sent, and once it cannot still be in flight its outcome is unknown. */
async function declareUnconfirmed(context: WorkerContext, post: ActivePost): Promise<boolean> {
  // The call may still be in flight in a process whose job Redis forgot; wait until it cannot be.
  if (Date.now() < inFlightSettledAt(post, sendWindowMs(context, post.provider))) return false;
  const row = await endPost(context, post, ['publishing'], 'unconfirmed', {
    code: 'outcome_unknown',
    message: 'the publish job disappeared while the call was in flight (lost Redis state or a crash); the provider may or may not have the post, so it is not re-sent automatically',
  });
  return row !== null;
}

async function restartPoll(context: WorkerContext, post: ActivePost): Promise<boolean> {
  if (post.status === 'processing') {
    await ensureStatusPoll(context, post, 0);
    return true;
  }
  // A recorded publish id with the status still `publishing` (a crash inside our own code path):
  // the provider has the post, so only polling is left.
  const row = await transitionPost(context.db.db, post.id, ['publishing'], 'processing', {
    code: 'submitted',
    message: 'publish id found by the reconciler',
    patch: { pollDeadlineAt: new Date(Date.now() + statusHorizonMs(context, post.provider)) },
  });
  if (row !== null) await ensureStatusPoll(context, row, 0);
  return row !== null;
}
