import { JOB_CATALOG, QUEUE_NAMES, type JobPayload, type QueueName } from '@pubcrawl/domain';
import { Queue, type JobsOptions } from 'bullmq';
import { settleConnections, type RedisConnection } from './connection';

export type Queues = { [Name in QueueName]: Queue<JobPayload<Name>> };

export interface QueueSetOptions {
  /** Standalone, Sentinel or Cluster; under Cluster, `prefix` must carry a hash tag. */
  connection: RedisConnection;
  /** `QUEUE_PREFIX`; `{pubcrawl}` in production, a per-test prefix in tests. */
  prefix: string;
}

/** Default options from the job catalog, so every producer enqueues a job the same way. */
export function defaultJobOptions(name: QueueName): JobsOptions {
  const definition = JOB_CATALOG[name];
  return {
    attempts: definition.attempts,
    // Full jitter spreads retries of a burst of failures instead of stampeding the upstream again.
    backoff: { type: 'exponential', delay: definition.backoffMs, jitter: 1 },
    removeOnComplete: { count: definition.keepCompleted },
    removeOnFail: { count: definition.keepFailed },
  };
}

export function createQueues(options: QueueSetOptions): Queues {
  const make = <Name extends QueueName>(name: Name) =>
    new Queue<JobPayload<Name>>(name, {
      connection: options.connection,
      prefix: options.prefix,
      defaultJobOptions: defaultJobOptions(name),
    });
  return {
    [QUEUE_NAMES.publish]: make(QUEUE_NAMES.publish),
    [QUEUE_NAMES.publishStatus]: make(QUEUE_NAMES.publishStatus),
    [QUEUE_NAMES.crawlFollowers]: make(QUEUE_NAMES.crawlFollowers),
    [QUEUE_NAMES.crawlHashtag]: make(QUEUE_NAMES.crawlHashtag),
    [QUEUE_NAMES.webhooks]: make(QUEUE_NAMES.webhooks),
    [QUEUE_NAMES.accountLinks]: make(QUEUE_NAMES.accountLinks),
    [QUEUE_NAMES.crawlProfiles]: make(QUEUE_NAMES.crawlProfiles),
    [QUEUE_NAMES.insights]: make(QUEUE_NAMES.insights),
  };
}

export async function closeQueues(queues: Queues): Promise<void> {
  const all = Object.values(queues);
  await settleConnections(all);
  await Promise.all(all.map((queue) => queue.close()));
}
