import type { RedisTopology } from '@pubcrawl/config';
import { Cluster, Redis, type RedisOptions } from 'ioredis';

/**
 * What every caller holds: BullMQ, the quota limiter, metrics and the API's rate limits take either.
 * Code that needs one of them specifically narrows with `instanceof Cluster`.
 */
export type RedisConnection = Redis | Cluster;

/** Options for one connection, whatever the topology. */
export interface RedisConnectionOptions {
  /** `CLIENT SETNAME`, so `CLIENT LIST` says which process holds a connection. Default: none. */
  connectionName?: string;
  /** Connect on the first command instead of at once. Default false. */
  lazyConnect?: boolean;
  /** Per-node options under Cluster and Sentinel, merged over the defaults below. */
  redisOptions?: Omit<RedisOptions, 'sentinels' | 'name' | 'host' | 'port' | 'path'>;
}

/**
 * During a Sentinel failover the old master is demoted and answers writes with READONLY, and
 * blocked BullMQ commands come back UNBLOCKED. Reconnecting (`2`: and resend the command) makes
 * ioredis ask the sentinels again and land on the new master instead of failing the command.
 */
function reconnectOnFailover(error: Error): 2 | false {
  return /READONLY|UNBLOCKED|LOADING/.test(error.message) ? 2 : false;
}

function build(topology: RedisTopology, base: RedisOptions, options: RedisConnectionOptions): RedisConnection {
  const common: RedisOptions = {
    ...base,
    ...(options.connectionName === undefined ? {} : { connectionName: options.connectionName }),
    ...(options.lazyConnect === undefined ? {} : { lazyConnect: options.lazyConnect }),
    ...options.redisOptions,
  };
  switch (topology.kind) {
    case 'standalone':
      return new Redis(topology.url, common);
    case 'sentinel':
      return new Redis({
        reconnectOnError: reconnectOnFailover,
        ...common,
        sentinels: topology.sentinels.map(({ host, port }) => ({ host, port })),
        name: topology.name,
        ...(topology.sentinelPassword === undefined ? {} : { sentinelPassword: topology.sentinelPassword }),
        ...(topology.password === undefined ? {} : { password: topology.password }),
        // Subscribes to the sentinels' +switch-master, so a failover moves this connection at once
        // instead of at its next failed command.
        failoverDetector: true,
      });
    case 'cluster': {
      // Cluster-level, not per node: ioredis ignores these inside redisOptions.
      const { enableOfflineQueue, enableReadyCheck, lazyConnect, ...perNode } = common;
      return new Cluster(
        topology.nodes.map(({ host, port }) => ({ host, port })),
        {
          ...(enableOfflineQueue === undefined ? {} : { enableOfflineQueue }),
          ...(enableReadyCheck === undefined ? {} : { enableReadyCheck }),
          ...(lazyConnect === undefined ? {} : { lazyConnect }),
          redisOptions: { ...perNode, ...(topology.password === undefined ? {} : { password: topology.password }) },
        },
      );
    }
  }
}

/**
 * A connection for BullMQ (queues, workers) and the worker's other Redis users. `maxRetriesPerRequest:
 * null` is what BullMQ requires of worker connections (under Cluster: of every node's): blocking
 * commands must wait through a reconnect or a failover instead of failing the job.
 */
export function createRedisConnection(topology: Exclude<RedisTopology, { kind: 'cluster' }>, options?: RedisConnectionOptions): Redis;
export function createRedisConnection(topology: RedisTopology, options?: RedisConnectionOptions): RedisConnection;
export function createRedisConnection(topology: RedisTopology, options: RedisConnectionOptions = {}): RedisConnection {
  return build(topology, { maxRetriesPerRequest: null, enableReadyCheck: true }, options);
}

/** For HTTP request paths: fail fast instead of queueing commands while Redis is down. */
export function createRequestRedisConnection(topology: Exclude<RedisTopology, { kind: 'cluster' }>, options?: RedisConnectionOptions): Redis;
export function createRequestRedisConnection(topology: RedisTopology, options?: RedisConnectionOptions): RedisConnection;
export function createRequestRedisConnection(topology: RedisTopology, options: RedisConnectionOptions = {}): RedisConnection {
  return build(topology, { maxRetriesPerRequest: 1, enableOfflineQueue: false, connectTimeout: 2_000 }, options);
}

/** Closes a connection politely (QUIT), or drops it when Redis is not answering. */
export async function closeRedisConnection(connection: RedisConnection): Promise<void> {
  await connection.quit().catch(() => connection.disconnect());
}

/** How long a shutdown waits for BullMQ objects that are still connecting (see below). */
const SETTLE_LIMIT_MS = 5_000;

/**
 * Waits, at most `limitMs`, until BullMQ queues or workers have finished connecting. Closing one
 * whose connection is still initializing makes BullMQ emit that connection's failure after it has
 * removed every listener (taskforcesh/bullmq#3546), which crashes the process on its way out: a
 * worker stopped right after it started exited 1 about half the time. If Redis cannot be reached
 * within the limit, the close goes ahead anyway.
 */
export async function settleConnections(items: ReadonlyArray<{ waitUntilReady(): Promise<unknown> }>, limitMs = SETTLE_LIMIT_MS): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const limit = new Promise<void>((resolve) => {
    timer = setTimeout(resolve, limitMs);
  });
  const ready = Promise.all(items.map((item) => item.waitUntilReady().catch(() => undefined)));
  await Promise.race([ready, limit]);
  clearTimeout(timer);
}
