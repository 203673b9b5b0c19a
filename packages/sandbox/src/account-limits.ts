import type { AccountLimits } from './config';

export type AccountLimitKind = 'publish' | 'status' | 'creatorInfo';

export type AccountLimitDecision = { allowed: true } | { allowed: false; waitMs: number };

const WINDOW_MS = 60_000;

const LIMIT_OF: Record<AccountLimitKind, keyof AccountLimits> = {
  publish: 'publishPerMinute',
  status: 'statusPerMinute',
  creatorInfo: 'creatorInfoPerMinute',
};

/**
 * Sliding-window logs per (kind, accountId). Limits are tens per minute, so each log holds at most
 * that many timestamps and pruning from the front is cheap.
 */
export class AccountLimiter {
  private readonly logs = new Map<string, number[]>();

  constructor(private readonly now: () => number) {}

  check(limits: AccountLimits | null, kind: AccountLimitKind, accountId: string): AccountLimitDecision {
    if (limits === null) return { allowed: true };
    const limit = limits[LIMIT_OF[kind]];
    const log = this.prunedLog(kind, accountId);
    if (log.length < limit) return { allowed: true };
    // The log can hold more than `limit` entries if the limit was lowered; the one that must expire
    // before a slot frees up is the `limit`-th newest.
    const blocking = log[log.length - limit] ?? this.now();
    return { allowed: false, waitMs: Math.max(1, blocking + WINDOW_MS - this.now()) };
  }

  record(kind: AccountLimitKind, accountId: string): void {
    this.prunedLog(kind, accountId).push(this.now());
  }

  /** Check and, when allowed, record in one step: for calls where every attempt counts. */
  consume(limits: AccountLimits | null, kind: AccountLimitKind, accountId: string): AccountLimitDecision {
    const decision = this.check(limits, kind, accountId);
    if (decision.allowed && limits !== null) this.record(kind, accountId);
    return decision;
  }

  clear(): void {
    this.logs.clear();
  }

  private prunedLog(kind: AccountLimitKind, accountId: string): number[] {
    const key = `${kind}\u0000${accountId}`;
    let log = this.logs.get(key);
    if (log === undefined) {
      log = [];
      this.logs.set(key, log);
    }
    const cutoff = this.now() - WINDOW_MS;
    let expired = 0;
    while (expired < log.length && (log[expired] ?? Infinity) <= cutoff) expired++;
    if (expired > 0) log.splice(0, expired);
    return log;
  }
}
