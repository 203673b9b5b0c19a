import type { JobPayload, QueueName } from '@pubcrawl/domain';

/**
 * What every processor is given and may answer: the job contract the runner (runner.ts) owns.
 *
 * The runner parses the payload from the job catalog before a processor runs (an invalid one fails
 * for good, on every queue), tells it whether this is the last attempt, and turns what it answers
 * into BullMQ's actions in one place:
 *
 * - a result: the job completes with it;
 * - `rescheduleAt(time, why)`: the job waits in `delayed` until then and spends no attempt (a poll
 *   schedule, a call that may still be in flight elsewhere);
 * - a thrown error, mapped by its class (`actionForError` in runner.ts): a quota wait or a 429 waits
 *   without spending an attempt, an expired session ends the job as parked, a transient error is
 *   retried with backoff and jitter, a permanent one fails the job with its reason.
 *
 * Processors decide the domain (which post transitions, which crawl parks); they never touch
 * BullMQ's job object.
 */
export interface JobRun<Name extends QueueName = QueueName> {
  readonly queue: Name;
  readonly jobId: string;
  readonly payload: JobPayload<Name>;
  /** True when a failure now is final: BullMQ will not run this job again. */
  readonly isLastAttempt: boolean;
  /** Times this job has been started, wake-ups from `delayed` included. */
  readonly starts: number;
}

/** A processor's answer: what it did, kept as the job's return value for Bull Board and logs. */
export type JobResult = object;

/** Asks the runner to run this job again at `untilMs` (epoch ms) without spending an attempt. */
export class Rescheduled {
  constructor(
    readonly untilMs: number,
    readonly reason: string,
  ) {}
}

export function rescheduleAt(untilMs: number, reason: string): Rescheduled {
  return new Rescheduled(untilMs, reason);
}

/**
 * Fails the job for good with `reason`, for a processor that has recorded why on its row and knows
 * that running it again would get the same answer.
 */
export class JobFailed extends Error {
  override readonly name = 'JobFailed';
}

export type Processor<Name extends QueueName> = (run: JobRun<Name>) => Promise<JobResult | Rescheduled>;
