import { childFor } from '@pubcrawl/logger';
import { createRedisConnection, settleConnections } from '@pubcrawl/queue';
import { ALL_QUEUE_NAMES, QUEUE_NAMES, type QueueName } from '@pubcrawl/schemas';
import { toError } from '@pubcrawl/tiktok';
import { Worker, type Job, type Processor as BullProcessor } from 'bullmq';
import type { WorkerContext } from './context';
import { processorFactories } from './processors/index';

/** How a shutdown ended: every active job finished, or some were handed back to the queue. */
export type CloseOutcome = 'drained' | 'handed_back';

export interface RunningWorkers {
  workers: Worker[];
  /**
   * Stops taking jobs and gives active ones `graceMs` (default SHUTDOWN_GRACE_MS) to finish. Jobs
   * still running then are moved back to waiting at once, so another worker (or this one, restarted)
   * picks them up without waiting for their lock to expire and stalled-job recovery to notice.
   */
  close(graceMs?: number): Promise<CloseOutcome>;
}

/** A job this process holds, with the lock token that lets us move it. */
interface HeldJob {
  job: Job;
  token: string;
}

function concurrencyFor(context: WorkerContext, queue: QueueName): number {
  switch (queue) {
    case QUEUE_NAMES.publish:
      return context.env.PUBLISH_CONCURRENCY;
    case QUEUE_NAMES.publishStatus:
      return context.env.PUBLISH_STATUS_CONCURRENCY;
    case QUEUE_NAMES.crawlFollowers:
    case QUEUE_NAMES.crawlHashtag:
      return context.env.CRAWL_CONCURRENCY;
    case QUEUE_NAMES.webhooks:
      return context.env.WEBHOOK_CONCURRENCY;
  }
}

function durationSeconds(processedOn: number | undefined, finishedOn: number | undefined): number | null {
  if (processedOn === undefined || finishedOn === undefined) return null;
  return Math.max(0, finishedOn - processedOn) / 1000;
}

export function startWorkers(context: WorkerContext, queues: readonly QueueName[] = ALL_QUEUE_NAMES): RunningWorkers {
  const held = new Set<HeldJob>();
  const workers = queues.map((queue) => {
    // The catalog types each processor's payload; BullMQ's Worker is untyped in it, hence the widening.
    const run = processorFactories[queue](context) as unknown as BullProcessor;
    const processor: BullProcessor = async (job, token, signal) => {
      const entry = token === undefined ? null : { job, token };
      if (entry !== null) held.add(entry);
      try {
        return await run(job, token, signal);
      } finally {
        if (entry !== null) held.delete(entry);
      }
    };
    const worker = new Worker(queue, processor, {
      // Blocking commands need a connection of their own per worker.
      connection: createRedisConnection(context.env.REDIS_URL),
      prefix: context.env.QUEUE_PREFIX,
      concurrency: concurrencyFor(context, queue),
      lockDuration: context.env.JOB_LOCK_DURATION_MS,
      stalledInterval: context.env.STALLED_INTERVAL_MS,
      // Processors are written to be re-run after a crash (checkpoints, state machine guards), so a
      // job that stalls repeatedly is recovered again rather than failed without a reason.
      maxStalledCount: 20,
      autorun: true,
    });
    worker.on('completed', (job) => {
      context.metrics.jobFinished(queue, 'completed', durationSeconds(job.processedOn, job.finishedOn));
    });
    worker.on('failed', (job, error) => {
      context.metrics.jobFinished(queue, 'failed', durationSeconds(job?.processedOn, job?.finishedOn));
      childFor(context.logger, { jobId: job?.id, queue }).warn({ err: error, attemptsMade: job?.attemptsMade }, 'job failed');
    });
    worker.on('error', (error) => {
      context.logger.error({ err: error, queue }, 'worker error');
    });
    return worker;
  });

  return {
    workers,
    async close(graceMs = context.env.SHUTDOWN_GRACE_MS) {
      // A worker still connecting must not be closed (see settleConnections).
      await settleConnections(workers);
      // pause(), not close(): BullMQ's close() memoises its first call, so a close(true) after a
      // graceful close() would only wait on that one again and never force anything.
      let timer: NodeJS.Timeout | undefined;
      const drained = Promise.all(workers.map((worker) => worker.pause())).then(() => 'drained' as const);
      const expired = new Promise<'expired'>((resolve) => {
        timer = setTimeout(() => resolve('expired'), graceMs);
      });
      const outcome = await Promise.race([drained, expired]);
      clearTimeout(timer);
      if (outcome === 'expired') {
        context.logger.warn({ graceMs, jobs: held.size }, 'active jobs did not finish in time; handing them back to the queue');
        // Processors are written to be re-run from their checkpoints, and this process is about to
        // exit, so the abandoned run cannot race the next one for long.
        await Promise.all(
          [...held].map(async ({ job, token }) => {
            try {
              await job.moveToWait(token);
            } catch (e) {
              // It finished (or lost its lock) in the meantime; either way it is not ours to hand back.
              context.logger.warn({ err: toError(e), jobId: job.id, queue: job.queueName }, 'could not hand a job back');
            }
          }),
        );
        held.clear();
      }
      await Promise.all(workers.map((worker) => worker.close(outcome === 'expired')));
      await Promise.all(workers.map((worker) => worker.disconnect().catch(() => undefined)));
      return outcome === 'expired' ? 'handed_back' : 'drained';
    },
  };
}
