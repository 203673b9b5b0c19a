export * from './schema';
export { createDb, type Database, type DbHandle, type Executor, type Transaction, type CreateDbOptions } from './client';
export {
  MIGRATIONS_FOLDER,
  appliedMigrationCount,
  ensureDatabase,
  expectedMigrationCount,
  migrateDatabase,
  type MigrationResult,
} from './migrate';
export { CredentialsCipher } from './credentials';
export { afterCursorAsc, afterCursorDesc, decodeCursor, encodeCursor, pageOf, type KeysetCursor } from './queries/pagination';
export {
  IllegalPostTransition,
  accountPostTimes,
  cancelUnstartedPost,
  duplicateOf,
  findDuplicatePosts,
  findPost,
  findPostByIdempotencyKey,
  insertGuardedPosts,
  insertPost,
  insertPostUnlessDuplicate,
  insertPosts,
  listPosts,
  parkScheduledPosts,
  postEventView,
  postTimeline,
  postView,
  postWebhookKey,
  recordOperatorRetry,
  recordOperatorVerdict,
  recordPostNote,
  recordPostWebhook,
  transitionPost,
  unparkPosts,
  type AccountPostTime,
  type ContentKey,
  type GuardedInsertResult,
  type GuardedPostRow,
  type NewPostRow,
  type PostEventRow,
  type PostPatch,
  type PostRow,
  type TransitionDetails,
} from './queries/posts';
export { EDITABLE_POST_STATUSES, recordPostEdit, type PostEdit, type PostEditOutcome } from './queries/post-edits';
export { findAccountsByIds, findPostBatch, insertPostBatch, type PostBatchInsert, type PostBatchRow } from './queries/post-batches';
export * from './queries/accounts';
export * from './queries/account-links';
export { crawlView, findCrawl, insertCrawl, isUniqueViolation, type CrawlCheckpointRow, type CrawlOrigin, type CrawlRow } from './queries/crawls';
export { recordWebhookEvent } from './queries/webhooks';
export { applyCrawlPage, type CrawlCheckpointState, type CrawledRows, type CrawledUser, type CrawledVideo, type CrawledProfile, type CrawlPageGuard, type CrawlPageInput, type CrawlPageResult } from './queries/crawl-pages';
export { activeCrawlSegments, advanceCrawlSegment, cancelCrawl, finishCrawl, listCrawls, markAccountReauthRequired, recordCrawlResolvedId, requeueCrawls, startCrawlRun, type ActiveCrawlSegment, type CrawlOutcome, type SegmentGuard } from './queries/crawl-lifecycle';
export { crawlItemsAfter, decodePositionCursor, encodePositionCursor, type CrawlItemRow } from './queries/crawl-items';
export { deleteSchedule, enabledSchedules, enabledSchedulesDigest, findSchedule, findScheduleRun, fireSchedule, insertSchedule, listScheduleRuns, listSchedules, scheduleCrawlSpec, scheduleRunView, scheduleView, schedulesWithWaitingRuns, startWaitingRun, updateSchedule, type EnabledSchedule, type FireResult, type ScheduleRow, type ScheduleRunRow, type ScheduleTick, type ScheduleTrigger } from './queries/schedules';
export { countCrawlItemsIngested, countCrawlsByStatus, countPostsByStatus } from './queries/metrics';
export { pingDatabase } from './queries/health';
export { probePostgres } from './preflight';
export { findPostWithAccount, lockPost, setMissingPollDeadline, type PostWithAccount } from './queries/publishing';
export { findWebhookDelivery, recordWebhookAttempt, type WebhookAttemptResult, type WebhookDeliveryRow } from './queries/webhook-deliveries';
export { activePostsAfter, pendingWebhookDeliveryIds, type ActivePost } from './queries/reconciliation';
export * from './queries/post-waits';
export { countPostMetricAttempt, findPostMetricTarget, owedPostMetricOffsetsAfter, postMetricsView, publishedPostsWithoutMetrics, recordFeedCheckNote, recordPostMetricSnapshot, recordVerifiedInFeed, rivalPostCaptions, schedulePostMetrics, unconfirmedPostsToVerify, videoIdsOwnedByOtherPosts, type FeedEvidence, type MetricOffsetDue, type OwedMetricOffset, type PostMetricsView, type PostMetricTarget, type VideoCounts } from './queries/post-insights';
export { CHANGE_SCAN_WINDOW, countFollowerChanges, followerChangeBaseline, followerChangeCounts, followerChangeItemsAfter, followerChangeSummary, type FollowerChangeBaseline, type FollowerChangeCounts, type FollowerChangeRow, type FollowerChangeSummary } from './queries/follower-changes';
export * from './queries/insights';
export * from './queries/tiktok';
