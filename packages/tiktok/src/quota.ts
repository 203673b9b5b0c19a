import { createHash, randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { hashTag } from '@pubcrawl/config';
import { Cluster, Redis } from 'ioredis';
import { toError } from './errors';
import { scopeId, type AccountAction, type QuotaScope } from './scope';

/**
 * `granted` with `delayMs > 0` is a reservation: the quota is already taken for a moment
 * `delayMs` from now, and the caller must wait that long before sending. It only happens when the
 * caller allowed it with `maxDelayMs`.
 */
export type QuotaDecision = { granted: true; delayMs: number } | { granted: false; waitMs: number; scope: QuotaScope };

export interface AcquireOptions {
  /**
   * Accept a reservation up to this far in the future instead of a denial. Default 0 (grant now or
   * deny). Reserving turns "ask, get told to wait, ask again" into one round trip per request:
   * polling waiters all wake together and all but one ask again. Measured with 16 waiters on one
   * 50/s key for 5 s: polling took 15.0 script calls per grant, reserving 1.9 (incl. the block
   * re-check in `waitForTurn`). Only API-key pacing is reserved; blocks and full account windows
   * still deny.
   */
  maxDelayMs?: number;
}

/** What every limiter offers; the worker code and `waitForTurn` depend only on this. */
export interface QuotaGate {
  /**
   * Takes one request's worth from every scope, or from none: when any scope denies, nothing is
   * consumed and the answer names the scope with the longest wait.
   */
  acquire(scopes: readonly QuotaScope[], options?: AcquireOptions): Promise<QuotaDecision>;
  /** Fleet-wide pause after an upstream 429: every process's next `acquire` on `scope` waits `ms`. */
  block(scope: QuotaScope, ms: number): Promise<void>;
  /** Longest remaining block among `scopes`, 0 when none is blocked. */
  blockedMs(scopes: readonly QuotaScope[]): Promise<number>;
  close(): Promise<void>;
}

export interface QuotaLimits {
  /** Requests per second per upstream API key. Default 50, the sandbox's default quota. */
  apiKeyPerSecond: number;
  /** Publish inits per account per minute. Default 6 (TikTok's documented per-token limit). */
  publishPerMinute: number;
  /** Publish-status fetches per account per minute. Default 30 (TikTok). */
  statusPerMinute: number;
  /** Creator-info queries per account per minute. Default 20 (TikTok). */
  creatorInfoPerMinute: number;
}

export const DEFAULT_QUOTA_LIMITS: Readonly<QuotaLimits> = {
  apiKeyPerSecond: 50,
  publishPerMinute: 6,
  statusPerMinute: 30,
  creatorInfoPerMinute: 20,
};

export interface QuotaLimiterOptions {
  /**
   * The process's configured connection, standalone, Sentinel or Cluster (not closed by `close()`),
   * or a standalone URL (the limiter owns that connection).
   */
  redis: Redis | Cluster | string;
  /**
   * Prefix of every key. Default "{pubcrawl}:quota". The braces are a Redis Cluster hash tag: one
   * acquire touches several scopes atomically in one script, which needs them in one slot, so with
   * a Cluster connection a prefix without a hash tag is refused at construction.
   */
  keyPrefix?: string;
  limits?: Partial<QuotaLimits>;
  /**
   * Share of `apiKeyPerSecond` the fleet aims for. Default 0.98. Pacing at exactly the upstream
   * rate leaves no way back from any token we did not count (another client on the key, a request a
   * proxy retried, clock drift); 2% under it, the upstream bucket slowly refills and heals.
   */
  apiKeyUtilization?: number;
  /**
   * Requests an idle API key may send at once. Default: half a second of quota. It is kept below the
   * upstream's bucket (capacity = one second of quota in the sandbox) because the difference is the
   * slack that absorbs arrival jitter: requests we grant evenly can still arrive bunched.
   */
  apiKeyBurst?: number;
  /**
   * Added to the 60 s account windows. Default 500. The upstream stamps a request when it arrives,
   * we stamp it when we grant it; without a margin a later grant that travels faster than the
   * earlier one lands inside the upstream's window and gets a 429.
   */
  accountWindowMarginMs?: number;
  /**
   * Per-account exceptions to `limits`, e.g. an account whose token another app also uses and so
   * gets less of TikTok's allowance. Return undefined to use the default. Default: none.
   */
  accountLimit?: (action: AccountAction, accountId: string) => number | undefined;
}

const ACCOUNT_LIMIT: Record<AccountAction, keyof QuotaLimits> = {
  publish: 'publishPerMinute',
  status: 'statusPerMinute',
  creatorInfo: 'creatorInfoPerMinute',
};

/**
 * Why not rate-limiter-flexible's RateLimiterRedis, where this started (it is kept in bench/lib,
 * as FixedWindowQuotaLimiter, so bench/quota-goodput.ts can still compare): its windows are fixed and
 * whole seconds. Under constant demand that is fine (each window opens right as the previous one
 * expires, matching a bucket of capacity = rate), but when a burst lands late in a window that a
 * trickle opened, it admits the rest of that window and a whole fresh one back to back, into an
 * upstream bucket that has not refilled. Measured with bench/quota-goodput.ts (4 processes, one key,
 * Q = 50/s, 30 s per row, 2-core box): under steady demand both are fine (goodput ÷ Q 1.000 vs
 * 0.996, no 429s); under "waves" (cron-like bursts of 120 over a trickle) RateLimiterRedis drew
 * 2.7% 429s (33 of 1223; 0.7% and 3.9% in two earlier 20 s runs), this GCRA 0.0% in every run.
 * The per-account limits would be worse: TikTok's "N per minute" is a sliding window, and a fixed
 * 60 s window admits up to 2N in one. RateLimiterRedis's block() also floors to whole seconds, so a
 * 300 ms block would never expire.
 *
 * Two algorithms, chosen per scope to mirror the upstream:
 * - 'g' GCRA (a token bucket stored as one timestamp, the "theoretical arrival time" TAT) for API
 *   keys. args: emission interval T ms, tolerance tau = (burst - 1) * T ms. A request at `now`
 *   conforms when now >= TAT - tau; taking it sets TAT = max(TAT, now) + T. The same update
 *   reserves a slot `TAT - tau - now` ms ahead, which is what `maxDelayMs` allows.
 * - 'w' sliding-window log (a sorted set of grant times) for the per-account per-minute limits,
 *   because "N per minute" upstream is a sliding window: a token bucket there would admit a burst of
 *   N and then one more every 60/N s, i.e. up to 2N-1 in some 60 s window. args: limit, window ms.
 *
 * KEYS: per scope, its state key then its block key. ARGV: op, a unique member id, maxDelayMs,
 * then per scope algo, a, b; `block` adds the block length in ms. Time comes from Redis (TIME), so
 * every process shares one clock; Redis 7 replicates scripts by effects, which makes TIME safe.
 */
const SCRIPT = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + tonumber(t[2]) / 1000
local function fmt(x) return string.format('%.3f', x) end
local n = #KEYS / 2

if ARGV[1] == 'blocked' then
  local longest = 0
  for i = 1, n do
    local blocked = tonumber(redis.call('GET', KEYS[2 * i]))
    if blocked ~= nil and blocked - now > longest then longest = blocked - now end
  end
  return {0, math.ceil(longest), 0}
end

if ARGV[1] == 'block' then
  local ms = tonumber(ARGV[7])
  local untilMs = now + ms
  local current = tonumber(redis.call('GET', KEYS[2]))
  if current == nil or current < untilMs then
    redis.call('SET', KEYS[2], fmt(untilMs), 'PX', math.max(1, math.ceil(ms)))
  end
  if ARGV[4] == 'g' then
    -- The upstream bucket is empty: restart ours empty too, or it would burst into the 429 again.
    local restart = untilMs + tonumber(ARGV[6])
    local tat = tonumber(redis.call('GET', KEYS[1])) or now
    if restart > tat then
      redis.call('SET', KEYS[1], fmt(restart), 'PX', math.max(1, math.ceil(restart - now)))
    end
  end
  return {1, 0, 0}
end

local maxDelay = tonumber(ARGV[3])
local worst, worstIndex, hard = 0, 0, false
local tats = {}
for i = 1, n do
  local stateKey, blockKey = KEYS[2 * i - 1], KEYS[2 * i]
  local algo, a, b = ARGV[3 * i + 1], tonumber(ARGV[3 * i + 2]), tonumber(ARGV[3 * i + 3])
  local wait = 0
  -- Blocks and full account windows cannot be reserved through: they set 'hard' and deny.
  local blocked = tonumber(redis.call('GET', blockKey))
  if blocked ~= nil and blocked > now then wait, hard = blocked - now, true end
  if algo == 'g' then
    local tat = tonumber(redis.call('GET', stateKey)) or now
    if tat < now then tat = now end
    wait = math.max(wait, tat - b - now)
    tats[i] = tat + a
  else
    redis.call('ZREMRANGEBYSCORE', stateKey, '-inf', now - b)
    local count = redis.call('ZCARD', stateKey)
    if count >= a then
      local oldest = redis.call('ZRANGE', stateKey, count - a, count - a, 'WITHSCORES')
      wait, hard = math.max(wait, tonumber(oldest[2]) + b - now), true
    end
  end
  if wait > worst then worst, worstIndex = wait, i end
end
if worst > 0 and (hard or worst > maxDelay) then return {0, math.ceil(worst), worstIndex} end
for i = 1, n do
  local stateKey = KEYS[2 * i - 1]
  if ARGV[3 * i + 1] == 'g' then
    redis.call('SET', stateKey, fmt(tats[i]), 'PX', math.max(1, math.ceil(tats[i] - now)))
  else
    -- Stamped with the time the request will actually go out, so the window counts it from then.
    redis.call('ZADD', stateKey, now + worst, ARGV[2])
    redis.call('PEXPIRE', stateKey, math.ceil(tonumber(ARGV[3 * i + 3]) + worst))
  end
end
return {1, math.ceil(worst), 0}
`;
const SCRIPT_SHA = createHash('sha1').update(SCRIPT).digest('hex');

type Rule = { algo: 'g'; intervalMs: number; toleranceMs: number } | { algo: 'w'; limit: number; windowMs: number };

/**
 * The fleet-wide quota limiter: every worker process shares its state in Redis, so the fleet as a
 * whole stays under each upstream limit, and one process's 429 pauses all of them.
 */
export class QuotaLimiter implements QuotaGate {
  readonly keyPrefix: string;
  readonly #redis: Redis | Cluster;
  readonly #ownsRedis: boolean;
  readonly #limits: QuotaLimits;
  readonly #apiKeyRule: Rule;
  readonly #windowMarginMs: number;
  readonly #accountLimit: QuotaLimiterOptions['accountLimit'];

  constructor(options: QuotaLimiterOptions) {
    this.#ownsRedis = typeof options.redis === 'string';
    this.#redis = typeof options.redis === 'string' ? new Redis(options.redis) : options.redis;
    this.keyPrefix = options.keyPrefix ?? '{pubcrawl}:quota';
    // Every key is `<prefix>:<scope>[:block]`, so the prefix's tag is every key's tag: one slot.
    if (this.#redis instanceof Cluster && hashTag(this.keyPrefix) === null) {
      throw new Error(`quota keyPrefix "${this.keyPrefix}" has no hash tag: under Redis Cluster one acquire's keys must share a slot (use e.g. "{pubcrawl}:quota")`);
    }
    this.#limits = { ...DEFAULT_QUOTA_LIMITS, ...options.limits };
    const rate = (this.#limits.apiKeyPerSecond * (options.apiKeyUtilization ?? 0.98)) / 1000;
    const intervalMs = 1 / rate;
    const burst = Math.max(1, options.apiKeyBurst ?? Math.floor(this.#limits.apiKeyPerSecond / 2));
    this.#apiKeyRule = { algo: 'g', intervalMs, toleranceMs: (burst - 1) * intervalMs };
    this.#windowMarginMs = options.accountWindowMarginMs ?? 500;
    this.#accountLimit = options.accountLimit;
  }

  async acquire(scopes: readonly QuotaScope[], options: AcquireOptions = {}): Promise<QuotaDecision> {
    if (scopes.length === 0) return { granted: true, delayMs: 0 };
    const keys: string[] = [];
    const args: string[] = ['acquire', randomUUID(), String(Math.max(0, options.maxDelayMs ?? 0))];
    for (const scope of scopes) {
      keys.push(...this.#keys(scope));
      args.push(...ruleArgs(this.#rule(scope)));
    }
    const [granted, ms, index] = parseReply(await this.#run(keys, args));
    if (granted === 1) return { granted: true, delayMs: ms };
    const scope = scopes[index - 1];
    if (scope === undefined) throw new Error(`quota script named scope ${index} of ${scopes.length}`);
    return { granted: false, waitMs: Math.max(1, ms), scope };
  }

  async block(scope: QuotaScope, ms: number): Promise<void> {
    if (!(ms > 0)) return;
    await this.#run(this.#keys(scope), ['block', '', '0', ...ruleArgs(this.#rule(scope)), String(ms)]);
  }

  async blockedMs(scopes: readonly QuotaScope[]): Promise<number> {
    if (scopes.length === 0) return 0;
    const [, ms] = parseReply(await this.#run(scopes.flatMap((scope) => this.#keys(scope)), ['blocked', '', '0']));
    return ms;
  }

  async close(): Promise<void> {
    if (this.#ownsRedis) await this.#redis.quit();
  }

  #keys(scope: QuotaScope): [string, string] {
    const base = `${this.keyPrefix}:${scopeId(scope)}`;
    return [base, `${base}:block`];
  }

  #rule(scope: QuotaScope): Rule {
    if (scope.kind === 'apiKey') return this.#apiKeyRule;
    const limit = this.#accountLimit?.(scope.action, scope.accountId) ?? this.#limits[ACCOUNT_LIMIT[scope.action]];
    return { algo: 'w', limit, windowMs: 60_000 + this.#windowMarginMs };
  }

  async #run(keys: string[], args: string[]): Promise<unknown> {
    try {
      return await this.#redis.evalsha(SCRIPT_SHA, keys.length, ...keys, ...args);
    } catch (e) {
      const error = toError(e);
      // First call on this Redis (or after SCRIPT FLUSH / failover): load it by sending the source.
      if (!error.message.startsWith('NOSCRIPT')) throw error;
      return this.#redis.eval(SCRIPT, keys.length, ...keys, ...args);
    }
  }
}

function ruleArgs(rule: Rule): [string, string, string] {
  return rule.algo === 'g'
    ? ['g', String(rule.intervalMs), String(rule.toleranceMs)]
    : ['w', String(rule.limit), String(rule.windowMs)];
}

function parseReply(reply: unknown): [number, number, number] {
  if (Array.isArray(reply) && reply.length === 3 && reply.every((value) => typeof value === 'number')) {
    return [reply[0] as number, reply[1] as number, reply[2] as number];
  }
  throw new Error(`unexpected quota script reply: ${JSON.stringify(reply)}`);
}

export interface WaitForTurnOptions {
  signal?: AbortSignal;
  /** Reservation horizon passed to `acquire`. Default 1000: one second of queue at most. */
  maxDelayMs?: number;
  /** Give up (throw) instead of sleeping longer than this in total. Default: no limit. */
  maxWaitMs?: number;
}

/**
 * Sleeps until every scope grants, for callers that hold no job (scripts, iterators' `beforePage`).
 * BullMQ processors should use `waitForQuota` instead, which frees the worker slot for long waits.
 */
export async function waitForTurn(gate: QuotaGate, scopes: readonly QuotaScope[], options: WaitForTurnOptions = {}): Promise<void> {
  const sleepOptions = options.signal === undefined ? undefined : { signal: options.signal };
  let waited = 0;
  for (;;) {
    const decision = await gate.acquire(scopes, { maxDelayMs: options.maxDelayMs ?? 1000 });
    if (decision.granted) {
      if (decision.delayMs === 0) return;
      await sleep(decision.delayMs, undefined, sleepOptions);
      waited += decision.delayMs;
      // A 429 elsewhere in the fleet while we slept means the upstream bucket is empty: going ahead
      // on the old reservation would only earn another 429, so give the slot up and queue again.
      if ((await gate.blockedMs(scopes)) === 0) return;
      continue;
    }
    if (options.maxWaitMs !== undefined && waited + decision.waitMs > options.maxWaitMs) {
      throw new Error(`quota for ${scopeId(decision.scope)} not available within ${options.maxWaitMs} ms`);
    }
    await sleep(decision.waitMs, undefined, sleepOptions);
    waited += decision.waitMs;
  }
}

/**
 * The limiter said no for now: the job should run again at `untilMs`. Thrown by `waitForQuota`, and
 * turned by the worker's runner into "wait in `delayed`, spend no attempt", so the worker slot is
 * freed for other jobs (other accounts keep flowing) and the queue is never paused.
 */
export class QuotaWait extends Error {
  override readonly name = 'QuotaWait';
  constructor(
    readonly untilMs: number,
    readonly scope: QuotaScope,
    waitMs: number,
  ) {
    super(`waiting ${waitMs} ms for quota on ${scopeId(scope)}`);
  }
}

/**
 * For job processors. Granted: waits out a reservation's `delayMs` (bounded by the `maxDelayMs` the
 * processor passed to `acquire`) and returns, and the processor goes on. Denied: throws QuotaWait.
 *
 * A little jitter (up to 10% of the wait, at most 1 s) keeps jobs that were denied together from
 * all waking at the same instant and fighting over a single token.
 */
export async function waitForQuota(decision: QuotaDecision, random: () => number = Math.random): Promise<void> {
  if (decision.granted) {
    if (decision.delayMs > 0) await sleep(decision.delayMs);
    return;
  }
  const jitter = Math.floor(random() * Math.min(1000, decision.waitMs * 0.1));
  throw new QuotaWait(Date.now() + decision.waitMs + jitter, decision.scope, decision.waitMs);
}
