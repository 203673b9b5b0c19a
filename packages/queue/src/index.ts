export {
  closeRedisConnection,
  createRedisConnection,
  createRequestRedisConnection,
  settleConnections,
  type RedisConnection,
  type RedisConnectionOptions,
} from './connection';
export { closeQueues, createQueues, defaultJobOptions, type QueueSetOptions, type Queues } from './queues';
export { jobIds } from './job-ids';
export { enqueueAccountLinkPoll, enqueuePostMetrics, enqueueUnconfirmedCheck, type CrawlQueueName, crawlJobId, crawlQueueName, enqueueCrawl, enqueuePublish, enqueuePublishes, enqueuePublishStatus, enqueuePublishStatuses, enqueueWebhook, PUBLISH_WAKE_AHEAD_MS } from './enqueue';
export { FIELD_SEPARATOR, JOB_DURATION_BUCKETS_SECONDS, MetricsRecorder, metricKeys } from './metrics';
export { probeRedis } from './preflight';
