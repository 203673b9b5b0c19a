import { z } from 'zod';

/** One `host:port` of a Sentinel or Cluster list. */
export interface RedisEndpoint {
  host: string;
  port: number;
}

/**
 * The one Redis every process of a deployment talks to, parsed once from the environment and passed
 * around instead of a URL: a URL cannot say "ask these sentinels" or "these are cluster seeds".
 */
export type RedisTopology =
  | { kind: 'standalone'; url: string }
  | {
      kind: 'sentinel';
      sentinels: RedisEndpoint[];
      /** The master's name in the sentinels' `sentinel monitor <name> …`. */
      name: string;
      /** For the sentinels themselves (`requirepass` in sentinel.conf). */
      sentinelPassword?: string;
      /** For the master and replicas. */
      password?: string;
    }
  | { kind: 'cluster'; nodes: RedisEndpoint[]; password?: string };

export type RedisTopologyKind = RedisTopology['kind'];

export const DEFAULT_REDIS_URL = 'redis://127.0.0.1:6379';

/** The variable that selects each topology: what a one-line error names. */
export const REDIS_TOPOLOGY_VARIABLE = {
  standalone: 'REDIS_URL',
  sentinel: 'REDIS_SENTINELS',
  cluster: 'REDIS_CLUSTER_NODES',
} as const satisfies Record<RedisTopologyKind, string>;

const redisUrl = z.string().refine((value) => {
  try {
    const url = new URL(value);
    return url.protocol === 'redis:' || url.protocol === 'rediss:';
  } catch {
    return false;
  }
}, 'must be a redis:// or rediss:// URL');

/** `host:port,host:port`; IPv6 hosts in brackets (`[::1]:26379`). Blanks between commas are dropped. */
const endpointList = z.string().transform((value, context): RedisEndpoint[] => {
  const endpoints: RedisEndpoint[] = [];
  for (const item of value.split(',').map((entry) => entry.trim()).filter((entry) => entry.length > 0)) {
    const match = /^(?:\[([^\]]+)\]|([^:[\]]+)):(\d{1,5})$/.exec(item);
    const port = Number(match?.[3]);
    const host = match?.[1] ?? match?.[2];
    if (host === undefined || !(port >= 1 && port <= 65535)) {
      context.addIssue({ code: 'custom', message: `"${item}" is not host:port (a comma-separated list of host:port)` });
      return z.NEVER;
    }
    endpoints.push({ host, port });
  }
  if (endpoints.length === 0) {
    context.addIssue({ code: 'custom', message: 'must list at least one host:port' });
    return z.NEVER;
  }
  return endpoints;
});

/**
 * The Redis variables. REDIS_URL has no zod default: "at most one topology" needs to know whether
 * the operator set it, so its default (redis://127.0.0.1:6379) is applied by `redisTopology`.
 */
export const redisEnvFields = {
  /** A standalone server, `redis://` or `rediss://`, user and password in the URL. Default redis://127.0.0.1:6379. */
  REDIS_URL: redisUrl.optional(),
  /** Sentinels to ask for the master, `host:port,…`; needs REDIS_SENTINEL_NAME. */
  REDIS_SENTINELS: endpointList.optional(),
  REDIS_SENTINEL_NAME: z.string().min(1).optional(),
  REDIS_SENTINEL_PASSWORD: z.string().optional(),
  /** Cluster seed nodes, `host:port,…`; the rest of the cluster is discovered from them. */
  REDIS_CLUSTER_NODES: endpointList.optional(),
  /** The data nodes' password under Sentinel or Cluster (a standalone server's goes in REDIS_URL). */
  REDIS_PASSWORD: z.string().optional(),
};

export interface RedisEnv {
  REDIS_URL?: string | undefined;
  REDIS_SENTINELS?: RedisEndpoint[] | undefined;
  REDIS_SENTINEL_NAME?: string | undefined;
  REDIS_SENTINEL_PASSWORD?: string | undefined;
  REDIS_CLUSTER_NODES?: RedisEndpoint[] | undefined;
  REDIS_PASSWORD?: string | undefined;
  QUEUE_PREFIX?: string | undefined;
}

type Resolved = { topology: RedisTopology; issue?: never } | { topology?: never; issue: { variable: string; message: string } };

/**
 * The Redis Cluster hash tag of a key: the text between the first `{` and the next `}`, when it is
 * not empty. Keys with the same tag live in the same slot; a key without one is hashed whole.
 */
export function hashTag(key: string): string | null {
  const open = key.indexOf('{');
  if (open === -1) return null;
  const close = key.indexOf('}', open + 1);
  if (close === -1 || close === open + 1) return null;
  return key.slice(open + 1, close);
}

/**
 * Only the Redis variables (and QUEUE_PREFIX, for the Cluster hash-tag rule), for a script that
 * needs Redis and nothing else, such as `pnpm start`'s preflight.
 */
export const redisEnv = z
  .object({ ...redisEnvFields, QUEUE_PREFIX: z.string().min(1).optional() })
  .superRefine((env, context) => checkRedisTopology(env, context));

/** The one place the cross-variable rules live: the schema refinement and `redisTopology` both ask it. */
function resolve(env: RedisEnv): Resolved {
  const chosen = (['REDIS_URL', 'REDIS_SENTINELS', 'REDIS_CLUSTER_NODES'] as const).filter((name) => env[name] !== undefined);
  const second = chosen[1];
  if (second !== undefined) {
    return { issue: { variable: second, message: `set only one of REDIS_URL, REDIS_SENTINELS and REDIS_CLUSTER_NODES (${chosen.join(' and ')} are both set)` } };
  }
  if (env.REDIS_SENTINELS === undefined) {
    for (const name of ['REDIS_SENTINEL_NAME', 'REDIS_SENTINEL_PASSWORD'] as const) {
      if (env[name] !== undefined) return { issue: { variable: name, message: 'only applies with REDIS_SENTINELS' } };
    }
  }
  if (env.REDIS_PASSWORD !== undefined && env.REDIS_SENTINELS === undefined && env.REDIS_CLUSTER_NODES === undefined) {
    return { issue: { variable: 'REDIS_PASSWORD', message: 'only applies with REDIS_SENTINELS or REDIS_CLUSTER_NODES; put a standalone server\'s password in REDIS_URL' } };
  }
  const password = env.REDIS_PASSWORD === undefined ? {} : { password: env.REDIS_PASSWORD };
  if (env.REDIS_SENTINELS !== undefined) {
    if (env.REDIS_SENTINEL_NAME === undefined) {
      return { issue: { variable: 'REDIS_SENTINEL_NAME', message: 'is required with REDIS_SENTINELS: the master name the sentinels monitor (`sentinel monitor <name> …`)' } };
    }
    return {
      topology: {
        kind: 'sentinel',
        sentinels: env.REDIS_SENTINELS,
        name: env.REDIS_SENTINEL_NAME,
        ...(env.REDIS_SENTINEL_PASSWORD === undefined ? {} : { sentinelPassword: env.REDIS_SENTINEL_PASSWORD }),
        ...password,
      },
    };
  }
  if (env.REDIS_CLUSTER_NODES !== undefined) {
    // BullMQ runs multi-key scripts over a queue's keys, and the quota limiter over several scopes'
    // keys; a Cluster refuses both unless every key of the script is in one slot.
    if (env.QUEUE_PREFIX !== undefined && hashTag(env.QUEUE_PREFIX) === null) {
      return { issue: { variable: 'QUEUE_PREFIX', message: 'must contain a hash tag such as {pubcrawl} with REDIS_CLUSTER_NODES, so each script\'s keys share one cluster slot' } };
    }
    return { topology: { kind: 'cluster', nodes: env.REDIS_CLUSTER_NODES, ...password } };
  }
  return { topology: { kind: 'standalone', url: env.REDIS_URL ?? DEFAULT_REDIS_URL } };
}

/** `superRefine` for every schema with the Redis variables (commonEnv carries it). */
export function checkRedisTopology(env: RedisEnv, context: z.RefinementCtx): void {
  const { issue } = resolve(env);
  if (issue !== undefined) context.addIssue({ code: 'custom', path: [issue.variable], message: issue.message });
}

/** The topology a parsed environment selects. Throws on an environment `checkRedisTopology` refuses. */
export function redisTopology(env: RedisEnv): RedisTopology {
  const resolved = resolve(env);
  if (resolved.issue !== undefined) throw new Error(`${resolved.issue.variable}: ${resolved.issue.message}`);
  return resolved.topology;
}

/**
 * The variables that select `topology`, e.g. for a child process's environment. The inverse of
 * parsing: `redisTopology(parseEnv(schema, redisTopologyEnv(t)))` is `t`.
 */
export function redisTopologyEnv(topology: RedisTopology): Record<string, string> {
  const list = (endpoints: readonly RedisEndpoint[]) => endpoints.map(endpointAddress).join(',');
  switch (topology.kind) {
    case 'standalone':
      return { REDIS_URL: topology.url };
    case 'sentinel':
      return {
        REDIS_SENTINELS: list(topology.sentinels),
        REDIS_SENTINEL_NAME: topology.name,
        ...(topology.sentinelPassword === undefined ? {} : { REDIS_SENTINEL_PASSWORD: topology.sentinelPassword }),
        ...(topology.password === undefined ? {} : { REDIS_PASSWORD: topology.password }),
      };
    case 'cluster':
      return { REDIS_CLUSTER_NODES: list(topology.nodes), ...(topology.password === undefined ? {} : { REDIS_PASSWORD: topology.password }) };
  }
}

export function endpointAddress(endpoint: RedisEndpoint): string {
  return endpoint.host.includes(':') ? `[${endpoint.host}]:${endpoint.port}` : `${endpoint.host}:${endpoint.port}`;
}
