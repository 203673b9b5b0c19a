/** The outcome of asking for one request's worth of quota. */
export type QuotaDecision = { allowed: true } | { allowed: false; waitMs: number };

interface Bucket {
  tokens: number;
  updatedAt: number;
}

/**
 * One token bucket per API key. Buckets are lazily refilled on use, so an idle key costs nothing,
 * and state is one small object per key: benchmarks use a handful of keys, never thousands.
 */
export class QuotaBuckets {
  private readonly buckets = new Map<string, Bucket>();

  constructor(private readonly now: () => number) {}

  /** Takes one token from `key`'s bucket; `ratePerSecond <= 0` means unlimited. */
  take(key: string, ratePerSecond: number, capacity: number): QuotaDecision {
    if (ratePerSecond <= 0 || !Number.isFinite(ratePerSecond)) return { allowed: true };
    const now = this.now();
    const bucket = this.buckets.get(key);
    if (bucket === undefined) {
      this.buckets.set(key, { tokens: capacity - 1, updatedAt: now });
      return { allowed: true };
    }
    const refilled = Math.min(capacity, bucket.tokens + ((now - bucket.updatedAt) * ratePerSecond) / 1000);
    bucket.updatedAt = now;
    if (refilled >= 1) {
      bucket.tokens = refilled - 1;
      return { allowed: true };
    }
    bucket.tokens = refilled;
    return { allowed: false, waitMs: ((1 - refilled) * 1000) / ratePerSecond };
  }

  clear(): void {
    this.buckets.clear();
  }
}

/** `Retry-After` is whole seconds and must not be 0, or well-behaved clients retry in a hot loop. */
export function retryAfterSeconds(waitMs: number): number {
  return Math.max(1, Math.ceil(waitMs / 1000));
}
