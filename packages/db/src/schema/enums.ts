import { pgEnum } from 'drizzle-orm/pg-core';
import { ACCOUNT_LINK_STATUSES, ACCOUNT_STATUSES, CRAWL_KINDS, CRAWL_STATUSES, POST_STATUSES, PROVIDERS, SCHEDULE_CATCH_UP_POLICIES, SCHEDULE_OVERLAP_POLICIES, SCHEDULE_RUN_OUTCOMES, WEBHOOK_DELIVERY_STATUSES } from '@pubcrawl/domain';

export const providerEnum = pgEnum('provider', PROVIDERS);
export const accountStatusEnum = pgEnum('account_status', ACCOUNT_STATUSES);
export const postStatusEnum = pgEnum('post_status', POST_STATUSES);
export const crawlKindEnum = pgEnum('crawl_kind', CRAWL_KINDS);
export const crawlStatusEnum = pgEnum('crawl_status', CRAWL_STATUSES);
export const scheduleOverlapEnum = pgEnum('schedule_overlap', SCHEDULE_OVERLAP_POLICIES);
export const scheduleCatchUpEnum = pgEnum('schedule_catch_up', SCHEDULE_CATCH_UP_POLICIES);
export const scheduleRunOutcomeEnum = pgEnum('schedule_run_outcome', SCHEDULE_RUN_OUTCOMES);
export const webhookDeliveryStatusEnum = pgEnum('webhook_delivery_status', WEBHOOK_DELIVERY_STATUSES);
export const accountLinkStatusEnum = pgEnum('account_link_status', ACCOUNT_LINK_STATUSES);
