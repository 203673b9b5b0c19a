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
export { IllegalPostTransition, recordPostCreated, transitionPost, type PostPatch, type PostRow, type TransitionDetails } from './queries/posts';
export { crawlView, findCrawl, insertCrawl, isUniqueViolation, type CrawlCheckpointRow, type CrawlOrigin, type CrawlRow } from './queries/crawls';
export { recordWebhookEvent } from './queries/webhooks';
