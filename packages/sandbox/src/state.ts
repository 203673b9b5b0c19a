import { performance } from 'node:perf_hooks';
import { AccountLimiter } from './account-limits';
import { AccountSessions, ProviderAccounts } from './accounts';
import { applyConfigPatch, type ConfigPatch, type SandboxConfig } from './config';
import { CreatorSettingsStore } from './creator-info';
import { DailyPostCounts } from './daily-cap';
import { HungSockets, seededRandom } from './faults';
import { PublishStore } from './publish-lifecycle';
import { QrLogins } from './qr-login';
import { QuotaBuckets } from './quota';
import { StatsRecorder } from './stats';
import { TikTokTwin } from './tiktok-twin';

export interface SandboxStateOptions {
  config: SandboxConfig;
  /** Seeds the fault PRNG; random when omitted. */
  seed?: number | undefined;
  /** Monotonic milliseconds; injectable so unit tests can move time by hand. */
  now?: (() => number) | undefined;
  /** Wall-clock ms, which dates published videos (`createTime`). Default `Date.now`. */
  clock?: (() => number) | undefined;
}

/** Everything mutable about one sandbox, so routes receive one object and `reset` has one place to look. */
export class SandboxState {
  config: SandboxConfig;
  readonly initialConfig: SandboxConfig;
  readonly now: () => number;
  /** Wall-clock ms: TikTok webhook `create_time` and signature timestamps. */
  readonly clock: () => number;
  readonly quota: QuotaBuckets;
  readonly accountLimits: AccountLimiter;
  readonly sessions = new AccountSessions();
  readonly providerAccounts = new ProviderAccounts();
  readonly creatorSettings = new CreatorSettingsStore();
  readonly dailyPosts = new DailyPostCounts();
  readonly qrLogins: QrLogins;
  readonly publishes: PublishStore;
  readonly stats = new StatsRecorder();
  readonly hung = new HungSockets();
  readonly tiktok: TikTokTwin;
  random: () => number;
  private readonly seed: number;

  constructor(options: SandboxStateOptions) {
    this.initialConfig = options.config;
    this.config = options.config;
    this.now = options.now ?? (() => performance.now());
    this.seed = options.seed ?? Math.floor(Math.random() * 2 ** 32);
    this.random = seededRandom(this.seed);
    this.quota = new QuotaBuckets(this.now);
    this.accountLimits = new AccountLimiter(this.now);
    this.clock = options.clock ?? Date.now;
    this.publishes = new PublishStore(this.now, this.clock);
    this.tiktok = new TikTokTwin(this.now, this.clock);
    this.qrLogins = new QrLogins(this.now);
  }

  configure(patch: ConfigPatch): SandboxConfig {
    const next = applyConfigPatch(this.config, patch);
    // Buckets filled under the old rate would let a burst through (or block) against the new one.
    if (next.quotaPerSecond !== this.config.quotaPerSecond || next.burst !== this.config.burst) this.quota.clear();
    this.config = next;
    return next;
  }

  /** Back to the state right after start. Hung requests are left to run out their hang time. */
  reset(): void {
    this.config = this.initialConfig;
    this.quota.clear();
    this.accountLimits.clear();
    this.sessions.clear();
    this.providerAccounts.clear();
    this.creatorSettings.clear();
    this.dailyPosts.clear();
    this.qrLogins.clear();
    this.publishes.clear();
    this.stats.clear();
    this.tiktok.clear();
    this.random = seededRandom(this.seed);
  }
}
