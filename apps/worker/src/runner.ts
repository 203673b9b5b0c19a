import { childFor } from '@pubcrawl/logger';
import { createRedisConnection } from '@pubcrawl/queue';
import { ALL_QUEUE_NAMES, QUEUE_NAMES, type QueueName } from '@pubcrawl/schemas';
import { Worker, type Processor as BullProcessor } from 'bullmq';
import type { WorkerContext } from './context';
import { processorFactories } from './processors/index';

export interface RunningWorkers {
  workers: Worker[];
  /**
   * Stops taking jobs, gives active ones `graceMs` to finish, then closes forcibly: BullMQ hands a
   * forcibly-closed job back through stalled-job recovery, so another worker resumes it.
   */
  close(graceMs?: number): Promise<void>;
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
  const workers = queues.map((queue) => {
    // The catalog types each processor's payload; BullMQ's Worker is untyped in it, hence the widening.
    const processor = processorFactories[queue](context) as unknown as BullProcessor;
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
      let timer: NodeJS.Timeout | undefined;
      const graceful = Promise.all(workers.map((worker) => worker.close()));
      const expired = new Promise<'expired'>((resolve) => {
        timer = setTimeout(() => resolve('expired'), graceMs);
      });
      const outcome = await Promise.race([graceful.then(() => 'done' as const), expired]);
      clearTimeout(timer);
      if (outcome === 'expired') {
        context.logger.warn({ graceMs }, 'active jobs did not finish in time; handing them back to the queue');
        await Promise.all(workers.map((worker) => worker.close(true)));
      }
      await Promise.all(workers.map((worker) => worker.disconnect().catch(() => undefined)));
    },
  };
}
