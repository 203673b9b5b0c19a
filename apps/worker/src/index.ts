export { createWorkerContext, type WorkerContext } from './context';
export { workerEnvSchema, type WorkerEnv } from './env';
export { startWorkers, type RunningWorkers } from './runner';
export { reconcileOnce, startReconcilers } from './reconcilers/index';
export { signWebhookBody, verifyWebhookSignature, WEBHOOK_TOLERANCE_SECONDS, type VerifyWebhookOptions } from './processors/webhooks';
export { fetchCrawlPage, type CrawlSource, type FetchedPage } from './crawls/fetch-page';
