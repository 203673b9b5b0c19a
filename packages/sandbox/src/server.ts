import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import type { Logger } from '@pubcrawl/logger';
import { ADMIN_PREFIX, registerAdminRoutes } from './admin-routes';
import { DEFAULT_CONFIG, resolveConfig, type SandboxConfig } from './config';
import { registerPostingRoutes } from './posting-routes';
import { SandboxState } from './state';
import { registerTikapiRoutes } from './tikapi-routes';
import { registerTikTokAdminRoutes, TIKTOK_ADMIN_PREFIX } from './tiktok-admin-routes';
import { registerTikTokV2Routes } from './tiktok-v2-routes';

export interface BuildSandboxOptions {
  /** Overrides of `DEFAULT_CONFIG`; also what `reset` returns to. */
  config?: Partial<SandboxConfig>;
  /** Without one, the sandbox is silent. Per-request lines are only ever logged at debug. */
  logger?: Logger;
  /** Seeds the fault PRNG so a fault pattern can be replayed; random when omitted. */
  seed?: number;
  /** Monotonic milliseconds for publish lifecycles, QR expiry and rate windows. Default `performance.now`. */
  now?: () => number;
  /** Wall-clock ms that dates published videos (`createTime` on `/public/posts`). Default `Date.now`. */
  clock?: () => number;
}

export interface BuiltSandbox {
  app: FastifyInstance;
  state: SandboxState;
}

/** The Fastify app with both fake upstreams and the admin API, not yet listening. */
export function buildSandbox(options: BuildSandboxOptions = {}): BuiltSandbox {
  const state = new SandboxState({ config: resolveConfig(DEFAULT_CONFIG, options.config ?? {}), seed: options.seed, now: options.now, clock: options.clock });
  // Widened to Fastify's logger interface so the app keeps the default instance type.
  const logger: FastifyBaseLogger | undefined = options.logger;
  const app: FastifyInstance = Fastify({
    ...(logger === undefined ? { logger: false } : { loggerInstance: logger }),
    // Benchmarks push tens of thousands of requests a second; a log line each would dominate.
    logController: new LogController({ disableRequestLogging: true }),
    // Hung requests must not keep `close()` waiting for their hang time to run out.
    forceCloseConnections: true,
    // Posting-API account ids are opaque and can be long (UUIDs, base64 tokens).
    routerOptions: { maxParamLength: 512 },
  });

  app.register(async (scope) => registerTikapiRoutes(scope, state));
  app.register(async (scope) => registerPostingRoutes(scope, state));
  app.register(async (scope) => registerTikTokV2Routes(scope, state));
  app.register(
    async (scope) => {
      registerAdminRoutes(scope, state);
      // A child of the admin plugin, so it inherits the admin JSON parser and error handler.
      await scope.register(async (tiktok) => registerTikTokAdminRoutes(tiktok, state), { prefix: TIKTOK_ADMIN_PREFIX });
    },
    { prefix: ADMIN_PREFIX },
  );
  app.addHook('onClose', async () => state.hung.releaseAll());
  return { app, state };
}
