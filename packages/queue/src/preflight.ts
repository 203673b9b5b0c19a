import { endpointAddress, PREFLIGHT_TIMEOUT_MS, REDIS_TOPOLOGY_VARIABLE, serviceAddress, type PreflightFailure, type RedisEndpoint, type RedisTopology } from '@pubcrawl/config';
import { Redis, type RedisOptions } from 'ioredis';
import { toError } from '@pubcrawl/errors';

const START_REDIS = 'start it with `redis-server --daemonize yes` (or `docker compose up -d redis`), or point REDIS_URL at a running server';
const REFUSED = /NOAUTH|WRONGPASS|NOPERM|ERR /;

/** How one probe connection ended: the command's reply, or why there was none. */
type Attempt<T> = { ok: true; value: T } | { ok: false; answered: boolean; reason: string; message: string };

/**
 * Connects once and sends one command, without the reconnect loop of a BullMQ connection: no
 * retries, no offline queue, and an 'error' listener, so an unreachable server yields one failure
 * instead of an 'error' event per reconnect attempt. Sentinels and cluster nodes are probed with
 * plain connections too: a Sentinel- or Cluster-mode client would retry its discovery forever.
 */
async function attempt<T>(target: string | RedisOptions, timeoutMs: number, command: (client: Redis) => Promise<T>): Promise<Attempt<T>> {
  const options: RedisOptions = {
    lazyConnect: true,
    connectTimeout: timeoutMs,
    maxRetriesPerRequest: null,
    retryStrategy: () => null,
    enableOfflineQueue: false,
    enableReadyCheck: false,
  };
  const client = typeof target === 'string' ? new Redis(target, options) : new Redis({ ...target, ...options });
  let lastError: Error | undefined;
  client.on('error', (caught: unknown) => {
    lastError = toError(caught);
  });
  try {
    await client.connect();
    return { ok: true, value: await command(client) };
  } catch (caught) {
    const error = toError(caught);
    // "Connection is closed" is ioredis giving up; the socket's own error says why.
    const cause = lastError ?? error;
    const code = (cause as { code?: unknown }).code;
    const answered = REFUSED.test(error.message);
    return { ok: false, answered, message: error.message, reason: typeof code === 'string' ? code : cause.message || cause.name };
  } finally {
    client.disconnect();
  }
}

function failure(variable: string, address: string, problem: string, hint: string): PreflightFailure {
  return { variable, service: 'Redis', address, problem, hint };
}

async function probeStandalone(url: string, timeoutMs: number): Promise<PreflightFailure | null> {
  const result = await attempt(url, timeoutMs, (client) => client.ping());
  if (result.ok) return null;
  return failure(
    'REDIS_URL',
    serviceAddress(url, 6379),
    result.answered ? `the server refused: ${result.message}` : `not reachable (${result.reason})`,
    result.answered ? 'check the user and password in REDIS_URL' : START_REDIS,
  );
}

/**
 * Asks the sentinels, in order, where the master is, then PINGs that master: a process that starts
 * must find the server it would write to, not only a sentinel that answers.
 */
async function probeSentinel(topology: Extract<RedisTopology, { kind: 'sentinel' }>, timeoutMs: number): Promise<PreflightFailure | null> {
  const variable = REDIS_TOPOLOGY_VARIABLE.sentinel;
  const address = topology.sentinels.map(endpointAddress).join(',');
  const reasons: string[] = [];
  for (const sentinel of topology.sentinels) {
    const result = await attempt(
      { host: sentinel.host, port: sentinel.port, ...(topology.sentinelPassword === undefined ? {} : { password: topology.sentinelPassword }) },
      timeoutMs,
      (client) => client.call('SENTINEL', 'get-master-addr-by-name', topology.name),
    );
    if (!result.ok) {
      if (result.answered) return failure(variable, endpointAddress(sentinel), `the sentinel refused: ${result.message}`, 'check REDIS_SENTINEL_PASSWORD');
      reasons.push(`${endpointAddress(sentinel)} ${result.reason}`);
      continue;
    }
    const master = masterAddress(result.value);
    if (master === null) {
      return failure(variable, endpointAddress(sentinel), `the sentinel monitors no master named "${topology.name}"`, 'check REDIS_SENTINEL_NAME against `sentinel monitor <name> …` in sentinel.conf');
    }
    const ping = await attempt({ ...master, ...(topology.password === undefined ? {} : { password: topology.password }) }, timeoutMs, (client) => client.ping());
    if (ping.ok) return null;
    return failure(
      variable,
      address,
      ping.answered ? `the master ${endpointAddress(master)} refused: ${ping.message}` : `the master the sentinels name, ${endpointAddress(master)}, is not reachable (${ping.reason})`,
      ping.answered ? 'check REDIS_PASSWORD' : 'check that the master is running and reachable from here under the address the sentinels announce',
    );
  }
  return failure(variable, address, `no sentinel is reachable (${reasons.join('; ')})`, 'start the sentinels (`redis-server sentinel.conf --sentinel`) or correct REDIS_SENTINELS');
}

function masterAddress(reply: unknown): RedisEndpoint | null {
  if (!Array.isArray(reply) || reply.length !== 2) return null;
  const [host, port] = reply as unknown[];
  if (typeof host !== 'string' || typeof port !== 'string') return null;
  return { host, port: Number(port) };
}

/** Asks the seed nodes, in order, for `CLUSTER INFO`: a cluster that is not `ok` refuses commands on some slots. */
async function probeCluster(topology: Extract<RedisTopology, { kind: 'cluster' }>, timeoutMs: number): Promise<PreflightFailure | null> {
  const variable = REDIS_TOPOLOGY_VARIABLE.cluster;
  const address = topology.nodes.map(endpointAddress).join(',');
  const reasons: string[] = [];
  for (const node of topology.nodes) {
    const result = await attempt({ host: node.host, port: node.port, ...(topology.password === undefined ? {} : { password: topology.password }) }, timeoutMs, (client) =>
      client.cluster('INFO'),
    );
    if (!result.ok) {
      if (result.answered) {
        const disabled = /cluster support disabled/i.test(result.message);
        return failure(
          variable,
          endpointAddress(node),
          disabled ? 'the server is not a cluster node (cluster support disabled)' : `the node refused: ${result.message}`,
          disabled ? 'use REDIS_URL for a standalone server' : 'check REDIS_PASSWORD',
        );
      }
      reasons.push(`${endpointAddress(node)} ${result.reason}`);
      continue;
    }
    const state = /cluster_state:(\w+)/.exec(String(result.value))?.[1] ?? 'unknown';
    if (state === 'ok') return null;
    return failure(variable, endpointAddress(node), `cluster_state is ${state}`, 'wait for the cluster to recover, or check `redis-cli --cluster check` (every slot must be served)');
  }
  return failure(variable, address, `no cluster node is reachable (${reasons.join('; ')})`, 'start the cluster or correct REDIS_CLUSTER_NODES');
}

/**
 * Whether the configured Redis can be used: one PING for a standalone server, the master via the
 * sentinels, or `cluster_state:ok` from a cluster node. Never rejects; the failure names the
 * variable that selected the topology.
 */
export async function probeRedis(topology: RedisTopology, timeoutMs = PREFLIGHT_TIMEOUT_MS): Promise<PreflightFailure | null> {
  switch (topology.kind) {
    case 'standalone':
      return probeStandalone(topology.url, timeoutMs);
    case 'sentinel':
      return probeSentinel(topology, timeoutMs);
    case 'cluster':
      return probeCluster(topology, timeoutMs);
  }
}
