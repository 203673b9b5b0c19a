import { QUEUE_NAMES, type JobPayload, type QueueName } from '@pubcrawl/schemas';
import type { Job } from 'bullmq';
import type { WorkerContext } from '../context';
import { createCrawlProcessor } from './crawl';
import { createPublishProcessor } from './publish';
import { createPublishStatusProcessor } from './publish-status';
import { createWebhookProcessor } from './webhooks';

/** A BullMQ processor whose payload type comes from the job catalog. */
export type Processor<Name extends QueueName> = (job: Job<JobPayload<Name>>, token?: string) => Promise<unknown>;

export type ProcessorFactories = { [Name in QueueName]: (context: WorkerContext) => Processor<Name> };

/** One processor file per queue; this map is the only place that wires them to queue names. */
export const processorFactories: ProcessorFactories = {
  [QUEUE_NAMES.publish]: createPublishProcessor,
  [QUEUE_NAMES.publishStatus]: createPublishStatusProcessor,
  [QUEUE_NAMES.crawlFollowers]: createCrawlProcessor,
  [QUEUE_NAMES.crawlHashtag]: createCrawlProcessor,
  [QUEUE_NAMES.webhooks]: createWebhookProcessor,
};
