/**
 * Accepted posts per account in the current sandbox day. TikTok does not publish its daily cap
 * (integrators report about 15), so the sandbox lets a test choose one and move the day by hand:
 * time travel, not waiting for midnight.
 */
export class DailyPostCounts {
  private day = 0;
  private readonly counts = new Map<string, number>();

  /** True while `accountId` has fewer than `cap` accepted posts on `day`. */
  allows(cap: number | null, day: number, accountId: string): boolean {
    if (cap === null) return true;
    return this.countOn(day, accountId) < cap;
  }

  record(day: number, accountId: string): void {
    this.countOn(day, accountId);
    this.counts.set(accountId, (this.counts.get(accountId) ?? 0) + 1);
  }

  clear(): void {
    this.counts.clear();
    this.day = 0;
  }

  /** Only one day is ever held: a new day (either direction) starts every account from zero. */
  private countOn(day: number, accountId: string): number {
    if (day !== this.day) {
      this.counts.clear();
      this.day = day;
    }
    return this.counts.get(accountId) ?? 0;
  }
}
