import { posts, transitionPost } from '@pubcrawl/db';
import { enqueuePublish, jobIds } from '@pubcrawl/queue';
import { ACTIVE_POST_STATUSES, QUEUE_NAMES } from '@pubcrawl/schemas';
import type { Queue } from 'bullmq';
import { and, asc, gt, inArray } from 'drizzle-orm';
import type { WorkerContext } from '../context';
import { endPost, ensureStatusPoll, inFlightSettledAt } from '../publishing/outcomes';

/** Posts read, and their jobs checked in one script call per queue, per round. */
const BATCH = 1_000;

type ActivePost = Pick<typeof posts.$inferSelect, 'id' | 'status' | 'generation' | 'publishId' | 'scheduledAt' | 'submittedAt' | 'updatedAt'>;
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
    const batch: ActivePost[] = await context.db.db
      .select({
        id: posts.id,
        status: posts.status,
        generation: posts.generation,
        publishId: posts.publishId,
        scheduledAt: posts.scheduledAt,
        submittedAt: posts.submittedAt,
        updatedAt: posts.updatedAt,
      })
      .from(posts)
      .where(and(inArray(posts.status, [...ACTIVE_POST_STATUSES]), after === null ? undefined : gt(posts.id, after)))
      .orderBy(asc(posts.id))
      .limit(BATCH);
    if (batch.length === 0) break;
    const presence = await jobPresence(context, batch);
    for (const [index, post] of batch.entries()) {
      const state = presence[index] ?? 'missing';
      if (state === 'live') continue;
      if (await repair(context, post, state)) acted += 1;
    }
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

/**
 * - `missing`: no job hash at all.
 * - `ghost`: a hash without the fields `add` writes. It appears when Redis loses a job while a
 *   worker still holds it (the worker's later writes recreate a partial hash).
 * - `orphan`: a complete, unfinished hash that no state list references (a snapshot or a flush
 *   taken between two keys). BullMQ would never run it.
 * - `finished`: completed or failed for good without moving the post on.
 * BullMQ refuses to add a job over any of the last three, so the repair deletes them first.
 */
type JobPresence = 'live' | 'finished' | 'missing' | 'ghost' | 'orphan';

/**
 * The state of many jobs of one queue, read atomically (a job moving between lists mid-check
 * cannot look lost). KEYS: the queue's state collections. ARGV: the job key prefix, then job ids.
 * Sorted sets first: ZSCORE is O(1), and most jobs of a large backlog are delayed.
 */
const PRESENCE_SCRIPT = `
local result = {}
for i = 2, #ARGV do
  local id = ARGV[i]
  local key = ARGV[1] .. id
  local state
  if redis.call('EXISTS', key) == 0 then
    state = 'missing'
  else
    local fields = redis.call('HMGET', key, 'timestamp', 'finishedOn')
    if not fields[1] then
      state = 'ghost'
    elseif fields[2] then
      state = 'finished'
    elseif redis.call('ZSCORE', KEYS[1], id) or redis.call('ZSCORE', KEYS[2], id) or redis.call('ZSCORE', KEYS[3], id)
        or redis.call('LPOS', KEYS[4], id) or redis.call('LPOS', KEYS[5], id) or redis.call('LPOS', KEYS[6], id) then
      state = 'live'
    else
      state = 'orphan'
    end
  end
  result[#result + 1] = state
end
return result
`;

const STATE_KEYS = ['delayed', 'prioritized', 'waiting-children', 'wait', 'active', 'paused'] as const;
const PRESENCES: readonly JobPresence[] = ['live', 'finished', 'missing', 'ghost', 'orphan'];

/** One script call per queue per batch: thousands of posts cost two round trips. */
async function jobPresence(context: WorkerContext, batch: readonly ActivePost[]): Promise<JobPresence[]> {
  const presence: JobPresence[] = new Array<JobPresence>(batch.length).fill('live');
  const byQueue = new Map<Queue, Array<{ index: number; jobId: string }>>();
  batch.forEach((post, index) => {
    const { queue, jobId } = jobFor(context, post);
    const list = byQueue.get(queue) ?? [];
    list.push({ index, jobId });
    byQueue.set(queue, list);
  });
  for (const [queue, jobs] of byQueue) {
    const keys = STATE_KEYS.map((name) => queue.toKey(name));
    const reply = await context.redis.eval(PRESENCE_SCRIPT, keys.length, ...keys, queue.toKey(''), ...jobs.map((job) => job.jobId));
    if (!Array.isArray(reply) || reply.length !== jobs.length) throw new Error(`unexpected job presence reply: ${JSON.stringify(reply)}`);
    jobs.forEach((job, position) => {
      const state = PRESENCES.find((candidate) => candidate === reply[position]);
      if (state === undefined) throw new Error(`unexpected job presence ${String(reply[position])}`);
      presence[job.index] = state;
    });
  }
  return presence;
}

async function repair(context: WorkerContext, post: ActivePost, state: Exclude<JobPresence, 'live'>): Promise<boolean> {
  const { queue, jobId } = jobFor(context, post);
  if (post.status === 'publishing' && post.publishId === null) {
    // The call may still be in flight in a process whose job Redis forgot; wait until it cannot be.
    if (Date.now() < inFlightSettledAt(post, context.env.UPSTREAM_TIMEOUT_MS)) return false;
    const row = await endPost(context, post, ['publishing'], 'unconfirmed', {
      code: 'outcome_unknown',
      message: 'the publish job disappeared while the call was in flight (lost Redis state or a crash); the provider may or may not have the post, so it is not re-sent automatically',
    });
    return row !== null;
  }
  // A finished, ghost or orphan job with this id would make BullMQ ignore the add, so it goes first.
  if (state === 'finished') await queue.remove(jobId);
  // Not BullMQ's remove: a ghost or orphan is in no state list, which its scripts assume it is.
  if (state === 'ghost' || state === 'orphan') await context.redis.del(queue.toKey(jobId), queue.toKey(`${jobId}:logs`), queue.toKey(`${jobId}:lock`));
  switch (post.status) {
    case 'scheduled':
      await enqueuePublish(context.queues, post);
      return true;
    case 'processing':
      await ensureStatusPoll(context, post, 0);
      return true;
    case 'publishing': {
      // A recorded publish id with the status still `publishing` (a crash inside our own code path):
      // the provider has the post, so only polling is left.
      const row = await transitionPost(context.db.db, post.id, ['publishing'], 'processing', {
        code: 'submitted',
        message: 'publish id found by the reconciler',
        patch: { pollDeadlineAt: new Date(Date.now() + context.env.PUBLISH_STATUS_HORIZON) },
      });
      if (row !== null) await ensureStatusPoll(context, row, 0);
      return row !== null;
    }
    default:
      return false;
  }
}
