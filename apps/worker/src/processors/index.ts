import { QUEUE_NAMES, type QueueName } from '@pubcrawl/domain';
import type { WorkerContext } from '../context';
import type { Processor } from '../job-contract';
import { createAccountLinkProcessor } from './account-links';
import { createCrawlProcessor } from './crawl';
import { createInsightsProcessor } from './insights';
import { createPublishProcessor } from './publish';
import { createPublishStatusProcessor } from './publish-status';
import { createWebhookProcessor } from './webhooks';

export type { Processor } from '../job-contract';

export type ProcessorFactories = { [Name in QueueName]: (context: WorkerContext) => Processor<Name> };

/** One processor file per queue; this map is the only place that wires them to queue names. */
export const processorFactories: ProcessorFactories = {
  [QUEUE_NAMES.publish]: createPublishProcessor,
  [QUEUE_NAMES.publishStatus]: createPublishStatusProcessor,
  [QUEUE_NAMES.crawlFollowers]: createCrawlProcessor,
  [QUEUE_NAMES.crawlHashtag]: createCrawlProcessor,
  [QUEUE_NAMES.crawlProfiles]: createCrawlProcessor,
  [QUEUE_NAMES.webhooks]: createWebhookProcessor,
  [QUEUE_NAMES.accountLinks]: createAccountLinkProcessor,
  [QUEUE_NAMES.insights]: createInsightsProcessor,
};
