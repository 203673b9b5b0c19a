import type { JobState } from 'bullmq';

/**
 * What `queue.getJobState(id)` answers (one BullMQ script per job, so a job moving between its
 * lists cannot look lost), and what each answer means to a reconciler:
 *
 * - waiting, delayed, prioritized, active, waiting-children: the job will run; nothing to do.
 * - completed, failed: it finished for good.
 * - unknown: no state list holds the id. Either there is no job at all, or there is debris BullMQ
 *   would never run and whose hash still makes `add` ignore the id: a ghost (a partial hash a
 *   worker's late write recreated after a flush took the job it held) or an orphan (a complete hash
 *   no list references, from a snapshot or a flush taken between two keys).
 *
 * For the last two, `queue.remove(id)` clears the id, debris included (it answers 1 for an id with
 * no hash too), so the job can be added again; it refuses (answers 0) while a worker holds the
 * job's lock. Pinned by publish-reconciler.test.ts.
 */
export type ReconciledJobState = JobState | 'unknown';

const LIVE_STATES: ReadonlySet<ReconciledJobState> = new Set<ReconciledJobState>(['waiting', 'delayed', 'prioritized', 'active', 'waiting-children']);

export function isLive(state: ReconciledJobState): boolean {
  return LIVE_STATES.has(state);
}
