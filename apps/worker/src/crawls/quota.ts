import { setTimeout as sleep } from 'node:timers/promises';
import { waitForQuota, type QuotaDecision, type QuotaGate, type QuotaScope } from '@pubcrawl/tiktok';

/**
 * How far ahead a crawl reserves its next request, and the longest wait it spends in-process; a
 * longer wait (an upstream 429's Retry-After of seconds) moves the job to delayed instead.
 *
 * Why in-process at all: at Q = 50 req/s a token frees up every 20 ms. Moving a job to delayed and
 * back costs several Redis round trips plus BullMQ's delayed-job promotion, which is far coarser
 * than 20 ms, so crawls parked that way leave tokens unused and goodput falls short of the quota.
 */
export const IN_PROCESS_WAIT_LIMIT_MS = 1_000;

export type QuotaTurn = 'granted' | 'shutdown';

/**
 * One token from `scope` for this crawl's next request.
 *
 * Fairness: each crawl job has at most one page in flight and asks for one token per page, and the
 * limiter hands out reservations in arrival order (each takes the next free slot of the key's
 * schedule), so N crawls sharing a key each get about 1/N of it however large any one of them is.
 * Crawls beyond the worker slots wait in the queue, and every crawl re-queues itself after a short
 * segment, so those rotate through the slots as well.
 */
export async function takeQuotaTurn(
  gate: QuotaGate,
  scope: QuotaScope,
  signal: AbortSignal,
  /** A decision asked for ahead of time (see `askQuotaEarly`); used instead of the first acquire. */
  early: Promise<EarlyDecision> | null = null,
): Promise<QuotaTurn> {
  let pending = early;
  for (;;) {
    if (signal.aborted && pending === null) return 'shutdown';
    const { decision, decidedAt } = await (pending ?? ask(gate, scope));
    pending = null;
    // Waits count from when the limiter answered, which for an early answer was a while ago.
    const since = Date.now() - decidedAt;
    if (decision.granted) {
      if (decision.delayMs - since <= 0) return 'granted';
      // Not cut short by shutdown: the slot is already ours and the wait is under a second.
      await sleep(decision.delayMs - since);
      // A 429 somewhere in the fleet while we waited means the upstream bucket is empty: sending on
      // the old reservation would only earn another 429, so queue again behind the block.
      if ((await gate.blockedMs([scope])) === 0) return 'granted';
      continue;
    }
    // Throws QuotaWait: the runner re-runs the job when the quota is back, without spending an attempt.
    const waitMs = Math.max(1, decision.waitMs - since);
    if (waitMs > IN_PROCESS_WAIT_LIMIT_MS) await waitForQuota({ ...decision, waitMs });
    // Denied but soon (a short block): a little jitter so crawls denied together do not all wake on
    // the same millisecond.
    const jitter = Math.floor(Math.random() * Math.min(20, waitMs * 0.2));
    try {
      await sleep(waitMs + jitter, undefined, { signal });
    } catch {
      return 'shutdown';
    }
  }
}

/**
 * Asks for the next page's token while the current page is still being committed, so the limiter's
 * round trip (and a reservation's wait) overlaps the Postgres write instead of adding to it. Only the
 * question is asked early; waiting and delaying the job stay in `takeQuotaTurn`, in order. Callers
 * ask only when the next page will surely be fetched, so no token is taken for nothing.
 */
export function askQuotaEarly(gate: QuotaGate, scope: QuotaScope): Promise<EarlyDecision> {
  const decision = ask(gate, scope);
  // Awaited later; until then a rejection (Redis down) must not count as unhandled.
  decision.catch(() => undefined);
  return decision;
}

export interface EarlyDecision {
  decision: QuotaDecision;
  decidedAt: number;
}

async function ask(gate: QuotaGate, scope: QuotaScope): Promise<EarlyDecision> {
  const decision = await gate.acquire([scope], { maxDelayMs: IN_PROCESS_WAIT_LIMIT_MS });
  return { decision, decidedAt: Date.now() };
}
