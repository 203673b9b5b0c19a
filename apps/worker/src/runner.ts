import { childFor } from '@pubcrawl/logger';
import { createRedisConnection, settleConnections, type RedisConnection } from '@pubcrawl/queue';
import { ALL_QUEUE_NAMES, JOB_CATALOG, QUEUE_NAMES, type JobPayload, type QueueName } from '@pubcrawl/domain';
import { Ambiguous, Permanent, QuotaWait, RateLimited, SessionExpired } from '@pubcrawl/tiktok';
import { DelayedError, UnrecoverableError, Worker, type Job, type Processor as BullProcessor } from 'bullmq';
import { z } from 'zod';
import type { WorkerContext } from './context';
import { JobFailed, Rescheduled, type JobResult, type JobRun, type Processor } from './job-contract';
import { processorFactories } from './processors/index';
import { PublishPressure } from './publishing/publish-pressure';
import { toError } from '@pubcrawl/errors';

/** What the runner does with a job once its processor has answered or thrown. */
export type JobAction =
  | { kind: 'complete'; result: JobResult }
  | { kind: 'delay'; untilMs: number; reason: string }
  | { kind: 'retry'; error: Error }
  | { kind: 'fail'; reason: string };

/**
 * The error taxonomy's one mapping to actions. Processors do the domain part first (a post back to
 * scheduled, an account parked, a crawl failed) and then let the error through to here.
 */
export function actionForError(error: Error, now = Date.now()): JobAction {
  // The limiter or the upstream said "not now": wait, spending no attempt.
  if (error instanceof QuotaWait) return { kind: 'delay', untilMs: error.untilMs, reason: error.message };
  if (error instanceof RateLimited) return { kind: 'delay', untilMs: now + Math.max(1, error.retryAfterMs), reason: `rate limited: ${error.message}` };
  // The processor parked the row until the account is re-authorized; nothing is left to retry.
  if (error instanceof SessionExpired) return { kind: 'complete', result: { parked: 'session expired', reason: error.message } };
  if (error instanceof Permanent) return { kind: 'fail', reason: error.code === undefined ? error.message : `${error.code}: ${error.message}` };
  // An outcome the processor recorded as unknown (a publish becomes unconfirmed): never sent again.
  if (error instanceof Ambiguous) return { kind: 'fail', reason: `outcome unknown: ${error.message}` };
  if (error instanceof JobFailed || error instanceof UnrecoverableError) return { kind: 'fail', reason: error.message };
  // Transient upstream errors and anything unexpected (Postgres restarting, a bug): backoff and jitter.
  return { kind: 'retry', error };
}

function isLastAttempt(job: Job): boolean {
  return job.attemptsMade + 1 >= (job.opts.attempts ?? 1);
}

/**
 * A processor as BullMQ runs it: the payload parsed from the job catalog (an invalid one fails for
 * good, on every queue: it is debris of lost Redis state or a bug, and the reconcilers rebuild real
 * jobs from Postgres), the answer and the error taxonomy turned into BullMQ's actions.
 */
export function toBullProcessor<Name extends QueueName>(queue: Name, processor: Processor<Name>, payloadSchema: z.ZodType<JobPayload<Name>> = JOB_CATALOG[queue].payload as unknown as z.ZodType<JobPayload<Name>>): BullProcessor {
  return async (job, token) => {
    const parsed = payloadSchema.safeParse(job.data);
    if (!parsed.success) throw new UnrecoverableError(`invalid ${queue} job payload: ${z.prettifyError(parsed.error)}`);
    const run: JobRun<Name> = { queue, jobId: job.id ?? '', payload: parsed.data, isLastAttempt: isLastAttempt(job), starts: job.attemptsStarted };
    let action: JobAction;
    try {
      const answer = await processor(run);
      action = answer instanceof Rescheduled ? { kind: 'delay', untilMs: answer.untilMs, reason: answer.reason } : { kind: 'complete', result: answer };
    } catch (caught) {
      action = actionForError(toError(caught));
    }
    switch (action.kind) {
      case 'complete':
        return action.result;
      case 'delay':
        // moveToDelayed + DelayedError is BullMQ's "run again later, not a failure".
        await job.moveToDelayed(action.untilMs, token);
        throw new DelayedError(action.reason);
      case 'retry':
        throw action.error;
      case 'fail':
        throw new UnrecoverableError(action.reason);
    }
  };
}

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

/**
 * How long a shutdown gives each bounded step after the grace period: handing the held jobs back,
 * and each worker's close. Neither waits for a job (the grace period did); both only wait on Redis.
 */
const CLOSE_STEP_LIMIT_MS = 5_000;

/** Resolves true once `promise` settles, or false after `limitMs`. Never rejects. */
async function settlesWithin(promise: Promise<unknown>, limitMs: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const limit = new Promise<false>((resolve) => {
    timer = setTimeout(() => resolve(false), limitMs);
  });
  const settled = promise.then(
    () => true,
    () => true,
  );
  const result = await Promise.race([settled, limit]);
  clearTimeout(timer);
  return result;
}

/**
 * Drops a closed worker's two connections: ours (BullMQ does not close a connection it was given)
 * and the blocking duplicate BullMQ made of it. ioredis `disconnect()` returns at once.
 *
 * Not `worker.disconnect()`: that awaits an `end` event from each client, and under Redis Cluster
 * the blocking client, already ended by `close()`, never emits another. ioredis's connection pool
 * emits `drain` once per node that ends, so the second and third node's late `end` set the Cluster's
 * status back from `end` to `close`; `disconnect()` on it then finds no node to drop and emits
 * nothing, and the wait never returned (the Cluster test's teardown hung until the hook timeout).
 */
function dropConnections(worker: Worker, connection: RedisConnection): void {
  connection.disconnect();
  // Still initializing (Redis unreachable): BullMQ's close() has already dropped that client.
  void worker.getBackend().blockingClient?.then(
    (client) => client.disconnect(),
    () => undefined,
  );
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
    case QUEUE_NAMES.crawlProfiles:
      return context.env.CRAWL_CONCURRENCY;
    case QUEUE_NAMES.webhooks:
      return context.env.WEBHOOK_CONCURRENCY;
    case QUEUE_NAMES.accountLinks:
      return context.env.ACCOUNT_LINK_CONCURRENCY;
    case QUEUE_NAMES.insights:
      return context.env.INSIGHTS_CONCURRENCY;
  }
}

function durationSeconds(processedOn: number | undefined, finishedOn: number | undefined): number | null {
  if (processedOn === undefined || finishedOn === undefined) return null;
  return Math.max(0, finishedOn - processedOn) / 1000;
}

function bullProcessorFor<Name extends QueueName>(context: WorkerContext, queue: Name): BullProcessor {
  // The map is keyed by queue, so this is the factory for `Name`; TypeScript cannot follow that.
  const factory = processorFactories[queue] as (context: WorkerContext) => Processor<Name>;
  return toBullProcessor(queue, factory(context));
}

/** The processor as this process runs it: publishes counted, status polls yielding to a publish burst. */
function withPublishPriority(queue: QueueName, run: BullProcessor, pressure: PublishPressure): BullProcessor {
  switch (queue) {
    case QUEUE_NAMES.publish:
      return (job, token, signal) => pressure.publishing(async (): Promise<unknown> => run(job, token, signal));
    case QUEUE_NAMES.publishStatus:
      return async (job, token, signal) => {
        await pressure.yieldToPublishing();
        const result: unknown = await run(job, token, signal);
        return result;
      };
    default:
      return run;
  }
}

export function startWorkers(context: WorkerContext, queues: readonly QueueName[] = ALL_QUEUE_NAMES): RunningWorkers {
  const held = new Set<HeldJob>();
  const pressure = new PublishPressure(context.env.PUBLISH_CONCURRENCY, context.env.PUBLISH_STATUS_YIELD_MS);
  const connections = new Map<Worker, RedisConnection>();
  const workers = queues.map((queue) => {
    const run = withPublishPriority(queue, bullProcessorFor(context, queue), pressure);
    const processor: BullProcessor = async (job, token, signal) => {
      const entry = token === undefined ? null : { job, token };
      if (entry !== null) held.add(entry);
      try {
        const result: unknown = await run(job, token, signal);
        return result;
      } finally {
        if (entry !== null) held.delete(entry);
      }
    };
    // Blocking commands need a connection of their own per worker.
    const connection = createRedisConnection(context.redisTopology, { connectionName: `pubcrawl-worker-${queue}` });
    const worker = new Worker(queue, processor, {
      connection,
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
    connections.set(worker, connection);
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
      const expired = new Promise<'expired'>((resolve) => {
        timer = setTimeout(() => resolve('expired'), graceMs);
      });
      // A pause that fails (its blocking connection would not reconnect) says nothing about the
      // jobs: wait out the grace period and hand back whatever is still held then.
      const drained = Promise.all(workers.map((worker) => worker.pause())).then(
        () => 'drained' as const,
        async (e: unknown) => {
          context.logger.warn({ err: toError(e) }, 'pausing the workers failed; waiting out the grace period');
          return expired;
        },
      );
      const outcome = await Promise.race([drained, expired]);
      clearTimeout(timer);
      if (outcome === 'expired') {
        context.logger.warn({ graceMs, jobs: held.size }, 'active jobs did not finish in time; handing them back to the queue');
        // Processors are written to be re-run from their checkpoints, and this process is about to
        // exit, so the abandoned run cannot race the next one for long.
        const handedBack = Promise.all(
          [...held].map(async ({ job, token }) => {
            try {
              await job.moveToWait(token);
            } catch (e) {
              // It finished (or lost its lock) in the meantime; either way it is not ours to hand back.
              context.logger.warn({ err: toError(e), jobId: job.id, queue: job.queueName }, 'could not hand a job back');
            }
          }),
        );
        // A Redis that does not answer must not keep the process up: stalled-job recovery finds
        // whatever was not handed back once its lock expires.
        if (!(await settlesWithin(handedBack, CLOSE_STEP_LIMIT_MS))) {
          context.logger.warn({ limitMs: CLOSE_STEP_LIMIT_MS }, 'handing jobs back did not finish in time; leaving them to stalled-job recovery');
        }
        held.clear();
      }
      await Promise.all(
        workers.map(async (worker) => {
          const closed = worker.close(outcome === 'expired').catch((e: unknown) => {
            context.logger.warn({ err: toError(e), queue: worker.name }, 'worker close failed; dropping its connections');
          });
          if (!(await settlesWithin(closed, CLOSE_STEP_LIMIT_MS))) {
            context.logger.warn({ queue: worker.name, limitMs: CLOSE_STEP_LIMIT_MS }, 'worker did not close in time; dropping its connections');
          }
          const connection = connections.get(worker);
          if (connection !== undefined) dropConnections(worker, connection);
        }),
      );
      return outcome === 'expired' ? 'handed_back' : 'drained';
    },
  };
}
