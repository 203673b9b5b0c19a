import type { CrawlStatus } from './states';

/**
 * The crawl state machine, defined once; the SQL guards in @pubcrawl/db, the API and the tests read
 * it from here.
 *
 * - `queued -> running`         a segment job picked the crawl up; every other outcome starts there.
 * - `running -> queued`         never: between segments a crawl stays `running`.
 * - `* -> reauth_required`      a 428 on the crawl's account (only crawls with an account).
 * - `reauth_required -> queued` the account was re-authorised; the crawl resumes from its checkpoint.
 * - `failed|cancelled -> queued` the operator's resume, with a new generation.
 * - `completed` is final: a finished crawl has nothing left to fetch.
 */
export const CRAWL_TRANSITIONS: Readonly<Record<CrawlStatus, readonly CrawlStatus[]>> = {
  queued: ['running', 'cancelled'],
  running: ['completed', 'failed', 'reauth_required', 'cancelled'],
  reauth_required: ['queued', 'cancelled'],
  failed: ['queued'],
  cancelled: ['queued'],
  completed: [],
};

/** Every status a crawl may move to `to` from. */
export function crawlStatusesBefore(to: CrawlStatus): CrawlStatus[] {
  return (Object.keys(CRAWL_TRANSITIONS) as CrawlStatus[]).filter((from) => CRAWL_TRANSITIONS[from].includes(to));
}

export function canTransitionCrawl(from: CrawlStatus, to: CrawlStatus): boolean {
  return CRAWL_TRANSITIONS[from].includes(to);
}

/** Why a completed crawl stopped. */
export const CRAWL_FINISH_REASONS = ['exhausted', 'max_items', 'max_pages', 'list_limit'] as const;
export type CrawlFinishReason = (typeof CRAWL_FINISH_REASONS)[number];
