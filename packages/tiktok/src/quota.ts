import { createHash, randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { DelayedError, type Job } from 'bullmq';
import { Redis } from 'ioredis';
import { toError } from './errors';
import { scopeId, type AccountAction, type QuotaScope } from './scope';

export type QuotaDecision = { granted: true } | { granted: false; waitMs: number; scope: QuotaScope };

/** What every limiter offers; the worker code and `waitForTurn` depend only on this. */
export interface QuotaGate {
  /**
   * Takes one request's worth from every scope, or from none: when any scope denies, nothing is
   * consumed and the answer names the scope with the longest wait.
   */
  acquire(scopes: readonly QuotaScope[]): Promise<QuotaDecision>;
  /** Fleet-wide pause after an upstream 429: every process's next `acquire` on `scope` waits `ms`. */
  block(scope: QuotaScope, ms: number): Promise<void>;
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
  /** An ioredis client (not closed by `close()`), or a URL (the limiter owns that connection). */
  redis: Redis | string;
  /**
   * Prefix of every key. Default "{pubcrawl}:quota". The braces are a Redis Cluster hash tag: one
   * acquire touches several scopes atomically in one script, which needs them in one slot.
   */
  keyPrefix?: string;
  limits?: Partial<QuotaLimits>;
  /**
   * Share of `apiKeyPerSecond` the fleet aims for. Default 0.98: the last 2% absorbs timing jitter
   * between our Redis clock and the upstream's bucket, which otherwise shows up as 429s.
   */
  apiKeyUtilization?: number;
  /**
   * Requests an idle API key may send at once. Default: half a second of quota. Smaller than the
   * upstream's bucket (capacity = one second in the sandbox), so our burst never meets a bucket that
   * is not yet full again.
   */
  apiKeyBurst?: number;
  /**
   * Added to the 60 s account windows. Default 500. The upstream stamps a request when it arrives,
   * we stamp it when we grant it; without a margin a later grant that travels faster than the
   * earlier one lands inside the upstream's window and gets a 429.
   */
  accountWindowMarginMs?: number;
}

const ACCOUNT_LIMIT: Record<AccountAction, keyof QuotaLimits> = {
  publish: 'publishPerMinute',
  status: 'statusPerMinute',
  creatorInfo: 'creatorInfoPerMinute',
};

/**
 * Why not rate-limiter-flexible's RateLimiterRedis (where this started): it is a fixed window of
 * whole seconds (`duration` is floored to seconds, so sub-second blocks become "no expiry"). Against
 * a token bucket of capacity = rate, each fresh window admits a full burst the instant the previous
 * one expires, when the upstream bucket has only just refilled; measured with bench/quota-goodput.ts
 * (4 processes, one key, Q = 50/s, 30 s) it gave the figures quoted in RLF_MEASUREMENT below. The
 * GCRA below paces grants evenly and matches the upstream's model (a token bucket) exactly.
 *
 * Two algorithms, chosen per scope to mirror the upstream:
 * - 'g' GCRA (a token bucket stored as one timestamp, the "theoretical arrival time") for API keys.
 *   args: emission interval T ms, tolerance tau = (burst - 1) * T ms.
 * - 'w' sliding-window log (a sorted set of grant times) for the per-account per-minute limits,
 *   because "N per minute" upstream is a sliding window: a token bucket there would admit a burst of
 *   N and then one more every 60/N s, i.e. up to 2N-1 in some 60 s window.
 *   args: limit, window ms.
 *
 * KEYS: per scope, its state key then its block key. ARGV: op, a unique member id, then per scope
 * algo, a, b; `block` adds the block length in ms. Time comes from Redis (TIME), so every process
 * shares one clock; Redis 7 replicates scripts by effects, which makes TIME safe here.
 */
const SCRIPT = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + tonumber(t[2]) / 1000
local function fmt(x) return string.format('%.3f', x) end

if ARGV[1] == 'block' then
  local ms = tonumber(ARGV[6])
  local untilMs = now + ms
  local current = tonumber(redis.call('GET', KEYS[2]))
  if current == nil or current < untilMs then
    redis.call('SET', KEYS[2], fmt(untilMs), 'PX', math.max(1, math.ceil(ms)))
  end
  if ARGV[3] == 'g' then
    -- The upstream bucket is empty: restart ours empty too, or it would burst into the 429 again.
    local restart = untilMs + tonumber(ARGV[5])
    local tat = tonumber(redis.call('GET', KEYS[1])) or now
    if restart > tat then
      redis.call('SET', KEYS[1], fmt(restart), 'PX', math.max(1, math.ceil(restart - now)))
    end
  end
  return {1, 0, 0}
end

local n = #KEYS / 2
local worst, worstIndex = 0, 0
local tats = {}
for i = 1, n do
  local stateKey, blockKey = KEYS[2 * i - 1], KEYS[2 * i]
  local algo, a, b = ARGV[3 * i], tonumber(ARGV[3 * i + 1]), tonumber(ARGV[3 * i + 2])
  local wait = 0
  local blocked = tonumber(redis.call('GET', blockKey))
  if blocked ~= nil and blocked > now then wait = blocked - now end
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
      wait = math.max(wait, tonumber(oldest[2]) + b - now)
    end
  end
  if wait > worst then worst, worstIndex = wait, i end
end
if worstIndex > 0 then return {0, math.ceil(worst), worstIndex} end
for i = 1, n do
  local stateKey = KEYS[2 * i - 1]
  if ARGV[3 * i] == 'g' then
    redis.call('SET', stateKey, fmt(tats[i]), 'PX', math.max(1, math.ceil(tats[i] - now)))
  else
    redis.call('ZADD', stateKey, now, ARGV[2])
    redis.call('PEXPIRE', stateKey, math.ceil(tonumber(ARGV[3 * i + 2])))
  end
end
return {1, 0, 0}
`;
const SCRIPT_SHA = createHash('sha1').update(SCRIPT).digest('hex');

type Rule = { algo: 'g'; intervalMs: number; toleranceMs: number } | { algo: 'w'; limit: number; windowMs: number };

/**
 * The fleet-wide quota limiter: every worker process shares its state in Redis, so the fleet as a
 * whole stays under each upstream limit, and one process's 429 pauses all of them.
 */
export class QuotaLimiter implements QuotaGate {
  readonly keyPrefix: string;
  readonly #redis: Redis;
  readonly #ownsRedis: boolean;
  readonly #limits: QuotaLimits;
  readonly #apiKeyRule: Rule;
  readonly #windowMarginMs: number;

  constructor(options: QuotaLimiterOptions) {
    this.#ownsRedis = typeof options.redis === 'string';
    this.#redis = typeof options.redis === 'string' ? new Redis(options.redis) : options.redis;
    this.keyPrefix = options.keyPrefix ?? '{pubcrawl}:quota';
    this.#limits = { ...DEFAULT_QUOTA_LIMITS, ...options.limits };
    const rate = (this.#limits.apiKeyPerSecond * (options.apiKeyUtilization ?? 0.98)) / 1000;
    const intervalMs = 1 / rate;
    const burst = Math.max(1, options.apiKeyBurst ?? Math.floor(this.#limits.apiKeyPerSecond / 2));
    this.#apiKeyRule = { algo: 'g', intervalMs, toleranceMs: (burst - 1) * intervalMs };
    this.#windowMarginMs = options.accountWindowMarginMs ?? 500;
  }

  async acquire(scopes: readonly QuotaScope[]): Promise<QuotaDecision> {
    if (scopes.length === 0) return { granted: true };
    const keys: string[] = [];
    const args: string[] = ['acquire', randomUUID()];
    for (const scope of scopes) {
      keys.push(...this.#keys(scope));
      args.push(...ruleArgs(this.#rule(scope)));
    }
    const [granted, waitMs, index] = parseReply(await this.#run(keys, args));
    if (granted === 1) return { granted: true };
    const scope = scopes[index - 1];
    if (scope === undefined) throw new Error(`quota script named scope ${index} of ${scopes.length}`);
    return { granted: false, waitMs: Math.max(1, waitMs), scope };
  }

  async block(scope: QuotaScope, ms: number): Promise<void> {
    if (!(ms > 0)) return;
    await this.#run(this.#keys(scope), ['block', '', ...ruleArgs(this.#rule(scope)), String(ms)]);
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
    return { algo: 'w', limit: this.#limits[ACCOUNT_LIMIT[scope.action]], windowMs: 60_000 + this.#windowMarginMs };
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
  /** Give up (throw) instead of sleeping longer than this in total. Default: no limit. */
  maxWaitMs?: number;
}

/**
 * Sleeps until every scope grants, for callers that hold no job (scripts, iterators' `beforePage`).
 * BullMQ processors should use `waitForQuota` instead, which frees the worker slot while waiting.
 */
export async function waitForTurn(gate: QuotaGate, scopes: readonly QuotaScope[], options: WaitForTurnOptions = {}): Promise<void> {
  let waited = 0;
  for (;;) {
    const decision = await gate.acquire(scopes);
    if (decision.granted) return;
    if (options.maxWaitMs !== undefined && waited + decision.waitMs > options.maxWaitMs) {
      throw new Error(`quota for ${scopeId(decision.scope)} not available within ${options.maxWaitMs} ms`);
    }
    await sleep(decision.waitMs, undefined, options.signal === undefined ? undefined : { signal: options.signal });
    waited += decision.waitMs;
  }
}

/**
 * For BullMQ processors: when `decision` denies, moves the job to `delayed` until the quota frees
 * up and throws DelayedError, which BullMQ treats as "not a failure": attemptsMade stays the same,
 * the worker slot is freed for other jobs (other accounts keep flowing), and the queue is never
 * paused. When granted, returns and the processor goes on.
 *
 * A little jitter (up to 10% of the wait, at most 1 s) keeps jobs that were denied together from
 * all waking at the same instant and fighting over a single token.
 */
export async function waitForQuota(job: Job, token: string | undefined, decision: QuotaDecision, random: () => number = Math.random): Promise<void> {
  if (decision.granted) return;
  const jitter = Math.floor(random() * Math.min(1000, decision.waitMs * 0.1));
  await job.moveToDelayed(Date.now() + decision.waitMs + jitter, token);
  throw new DelayedError(`waiting ${decision.waitMs} ms for quota on ${scopeId(decision.scope)}`);
}
