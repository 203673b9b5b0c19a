export interface EndpointStats {
  total: number;
  /** HTTP status as a string, plus `"reset"` and `"hang"` for requests that got no response. */
  byStatus: Record<string, number>;
}

export interface PublishCount {
  accountId: string;
  /** sha256 hex of the canonical publish content; see `publishContentHash`. */
  contentHash: string;
  count: number;
}

export interface SandboxStats {
  requests: { byEndpoint: Record<string, EndpointStats> };
  publishes: PublishCount[];
  /** `"GET /public/followers secUid=…&cursor=…"` → times that exact page was served with 200. */
  pages: Record<string, number>;
}

/** Outcomes recorded for requests that never got an HTTP status. */
export type NoResponse = 'reset' | 'hang';

/**
 * Counters live in Maps and are converted to plain objects only when someone asks, so recording a
 * request stays a couple of Map lookups even with hundreds of thousands of distinct pages.
 */
export class StatsRecorder {
  private readonly endpoints = new Map<string, { total: number; byStatus: Map<string, number> }>();
  private readonly pageCounts = new Map<string, number>();
  private readonly publishCounts = new Map<string, PublishCount>();

  recordResponse(endpoint: string, status: number | NoResponse): void {
    let entry = this.endpoints.get(endpoint);
    if (entry === undefined) {
      entry = { total: 0, byStatus: new Map() };
      this.endpoints.set(endpoint, entry);
    }
    entry.total++;
    const key = String(status);
    entry.byStatus.set(key, (entry.byStatus.get(key) ?? 0) + 1);
  }

  recordPage(pageKey: string): void {
    this.pageCounts.set(pageKey, (this.pageCounts.get(pageKey) ?? 0) + 1);
  }

  recordPublish(accountId: string, contentHash: string): void {
    const key = `${accountId}\u0000${contentHash}`;
    const entry = this.publishCounts.get(key);
    if (entry === undefined) this.publishCounts.set(key, { accountId, contentHash, count: 1 });
    else entry.count++;
  }

  snapshot(): SandboxStats {
    const byEndpoint: Record<string, EndpointStats> = {};
    for (const [endpoint, entry] of this.endpoints) {
      byEndpoint[endpoint] = { total: entry.total, byStatus: Object.fromEntries(entry.byStatus) };
    }
    return {
      requests: { byEndpoint },
      publishes: [...this.publishCounts.values()].map((entry) => ({ ...entry })),
      pages: Object.fromEntries(this.pageCounts),
    };
  }

  clear(): void {
    this.endpoints.clear();
    this.pageCounts.clear();
    this.publishCounts.clear();
  }
}
