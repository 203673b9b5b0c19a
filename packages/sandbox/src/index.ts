import type { AddressInfo } from 'node:net';
import type { Logger } from '@pubcrawl/logger';
import { configView } from './admin-routes';
import { InvalidConfigError, patchFromPartial, type SandboxConfig } from './config';
import { buildSandbox } from './server';
import type { SandboxStats } from './stats';

export { buildSandbox, type BuildSandboxOptions, type BuiltSandbox } from './server';
export {
  DEFAULT_CONFIG,
  DEFAULT_ACCOUNT_LIMITS,
  InvalidConfigError,
  SUBSCRIPTIONS,
  type AccountLimits,
  type SandboxConfig,
  type Subscription,
} from './config';
export { DEMO_ACCOUNT_IDS, type ProviderAccount } from './accounts';
export type { CreatorSettings } from './creator-info';
export { QR_TTL_S, type QrStatus } from './qr-login';
export type { SandboxStats, EndpointStats, PublishCount } from './stats';
export { publishContentHash, type PublishContent, type PublishStatus } from './publish-lifecycle';
export { TIKTOK_ERROR_MESSAGES } from './tiktok-errors';
export { TIKTOK_ENDPOINTS, TIKTOK_V2_ERRORS, type TikTokEndpoint, type TikTokV2ErrorCode } from './tiktok-twin';
export { ADMIN_PREFIX } from './admin-routes';
export { seededRandom } from './faults';
export {
  followerChanges,
  followerCountOnDay,
  followersOnDay,
  profileStatsOnDay,
  type FollowerChanges,
  type SandboxFollower,
} from './followers-on-day';
// For the `pnpm sandbox` process (apps/sandbox), which catches what startSandbox throws.

export interface StartSandboxOptions {
  /** 0 (the default) picks a free port, which is what parallel test files want. */
  port?: number;
  /** Default 127.0.0.1. */
  host?: string;
  config?: Partial<SandboxConfig>;
  logger?: Logger;
  /** Seeds the fault PRNG; random when omitted. */
  seed?: number;
  /** Monotonic milliseconds; inject one to move time by hand (QR expiry, publish lifecycles). */
  now?: () => number;
  /** Wall-clock ms that dates published videos (`createTime` on `/public/posts`). Default `Date.now`. */
  clock?: () => number;
}

export interface RunningSandbox {
  /** Base URL for both upstreams, e.g. `http://127.0.0.1:4010`. */
  url: string;
  port: number;
  /** Stops listening and destroys open sockets, hung ones included. Safe to call twice. */
  close(): Promise<void>;
  /** Same as `POST /__sandbox/reset`. */
  reset(): void;
  /** Same as `PUT /__sandbox/config`; throws `InvalidConfigError` on values the admin API would reject. */
  configure(patch: Partial<SandboxConfig>): SandboxConfig;
  stats(): SandboxStats;
  expireAccount(key: string): void;
  restoreAccount(key: string): void;
}

function urlHost(host: string): string {
  // A wildcard bind is reachable on loopback; a URL pointing at 0.0.0.0 is not portable.
  if (host === '0.0.0.0' || host === '::' || host === '') return '127.0.0.1';
  return host.includes(':') ? `[${host}]` : host;
}

function listeningPort(address: AddressInfo | string | null): number {
  // A string would mean a pipe or unix socket; startSandbox only ever listens on TCP.
  if (address === null || typeof address === 'string') throw new Error(`sandbox is not listening on TCP: ${String(address)}`);
  return address.port;
}

export async function startSandbox(options: StartSandboxOptions = {}): Promise<RunningSandbox> {
  const built = buildSandbox({
    ...(options.config === undefined ? {} : { config: options.config }),
    ...(options.logger === undefined ? {} : { logger: options.logger }),
    ...(options.seed === undefined ? {} : { seed: options.seed }),
    ...(options.now === undefined ? {} : { now: options.now }),
    ...(options.clock === undefined ? {} : { clock: options.clock }),
  });
  const { app, state } = built;
  const host = options.host ?? '127.0.0.1';
  await app.listen({ port: options.port ?? 0, host });
  const port = listeningPort(app.server.address());
  let closing: Promise<void> | null = null;

  return {
    url: `http://${urlHost(host)}:${port}`,
    port,
    close() {
      closing ??= app.close();
      return closing;
    },
    reset() {
      state.reset();
    },
    configure(partial) {
      const parsed = patchFromPartial(partial);
      if (!parsed.ok) throw new InvalidConfigError(parsed.field, parsed.error);
      return configView(state.configure(parsed.patch));
    },
    stats() {
      return state.stats.snapshot();
    },
    expireAccount(key) {
      state.sessions.expire(key);
    },
    restoreAccount(key) {
      state.sessions.restore(key);
    },
  };
}
