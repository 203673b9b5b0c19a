import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { RedisTopology } from '@pubcrawl/config';
import { unusedPort } from './ports';
import { waitFor } from './wait';
import { toError } from '@pubcrawl/errors';

/**
 * Real Redis Cluster and Sentinel deployments made of local `redis-server` processes on free
 * loopback ports, for tests that must prove behaviour on the topology itself (a hash slot, a
 * failover), which no standalone server can stand in for. Each launcher cleans up what it started
 * when it fails half way, and `stop()` kills every process and removes the temporary directory.
 */

const run = promisify(execFile);

/** Every wait here is bounded: a topology that does not form in this long will not form. */
const FORM_TIMEOUT_MS = 20_000;
const STOP_TIMEOUT_MS = 3_000;

/** Children alive in this test process, killed on exit should a test die before its cleanup. */
const alive = new Set<ChildProcess>();
let exitHookInstalled = false;
function track(child: ChildProcess): void {
  alive.add(child);
  child.once('exit', () => alive.delete(child));
  if (!exitHookInstalled) {
    exitHookInstalled = true;
    process.once('exit', () => {
      for (const leftover of alive) leftover.kill('SIGKILL');
    });
  }
}

export async function redisCli(port: number, ...args: string[]): Promise<string> {
  const { stdout } = await run('redis-cli', ['-h', '127.0.0.1', '-p', String(port), ...args], { timeout: 10_000 });
  return stdout.trim();
}

interface Launched {
  processes: ChildProcess[];
  dir: string;
  output: Map<ChildProcess, () => string>;
}

function startServer(launched: Launched, args: string[]): ChildProcess {
  const child = spawn('redis-server', args, { cwd: launched.dir, stdio: ['ignore', 'pipe', 'pipe'] });
  track(child);
  let text = '';
  const append = (chunk: Buffer) => {
    text = (text + chunk.toString()).slice(-20_000);
  };
  child.stdout?.on('data', append);
  child.stderr?.on('data', append);
  launched.processes.push(child);
  launched.output.set(child, () => text);
  return child;
}

/** No persistence: a test topology starts empty and leaves nothing behind. */
const EPHEMERAL = ['--save', '', '--appendonly', 'no', '--bind', '127.0.0.1'];

async function waitForPing(port: number): Promise<void> {
  await waitFor(async () => (await redisCli(port, 'ping').catch(() => '')) === 'PONG', { timeoutMs: FORM_TIMEOUT_MS, intervalMs: 50 });
}

async function stopAll(launched: Launched): Promise<void> {
  await Promise.all(
    launched.processes.map(async (child) => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = once(child, 'exit');
      child.kill('SIGTERM');
      const guard = setTimeout(() => child.kill('SIGKILL'), STOP_TIMEOUT_MS);
      await exited;
      clearTimeout(guard);
    }),
  );
  await rm(launched.dir, { recursive: true, force: true });
}

/** Runs `form` on a fresh directory; on failure stops what it started and says what the servers printed. */
async function launch<T>(name: string, form: (launched: Launched) => Promise<T>): Promise<T & { stop(): Promise<void> }> {
  const launched: Launched = { processes: [], dir: await mkdtemp(join(tmpdir(), `pubcrawl-${name}-`)), output: new Map() };
  let stopping: Promise<void> | null = null;
  const stop = () => (stopping ??= stopAll(launched));
  try {
    const result = await form(launched);
    return { ...result, stop };
  } catch (caught) {
    const printed = [...launched.output.values()].map((text) => text().split('\n').slice(-5).join('\n')).join('\n---\n');
    await stop();
    const error = toError(caught);
    throw new Error(`${name} did not form: ${error.message}\n${printed}`, { cause: error });
  }
}

export interface RunningRedisCluster {
  topology: Extract<RedisTopology, { kind: 'cluster' }>;
  ports: number[];
  stop(): Promise<void>;
}

/**
 * A cluster of `masters` masters and no replicas, made by `redis-cli --cluster create`, returned
 * once every node reports `cluster_state:ok`. Each node's bus port is chosen too (`--cluster-port`):
 * the default, port + 10000, is past 65535 for most ephemeral ports.
 */
export async function startRedisCluster(options: { masters?: number } = {}): Promise<RunningRedisCluster> {
  const masters = options.masters ?? 3;
  return launch('redis-cluster', async (launched) => {
    const ports: number[] = [];
    for (let index = 0; index < masters; index += 1) {
      const port = await unusedPort();
      const busPort = await unusedPort();
      ports.push(port);
      startServer(launched, [
        '--port', String(port),
        '--cluster-enabled', 'yes',
        '--cluster-port', String(busPort),
        '--cluster-config-file', join(launched.dir, `nodes-${port}.conf`),
        '--cluster-node-timeout', '2000',
        ...EPHEMERAL,
      ]);
    }
    await Promise.all(ports.map(waitForPing));
    await run('redis-cli', ['--cluster', 'create', ...ports.map((port) => `127.0.0.1:${port}`), '--cluster-replicas', '0', '--cluster-yes'], { timeout: FORM_TIMEOUT_MS });
    await waitFor(
      async () => {
        const states = await Promise.all(ports.map((port) => redisCli(port, 'cluster', 'info').catch(() => '')));
        return states.every((info) => info.includes('cluster_state:ok'));
      },
      { timeoutMs: FORM_TIMEOUT_MS, intervalMs: 100 },
    );
    return { topology: { kind: 'cluster' as const, nodes: ports.map((port) => ({ host: '127.0.0.1', port })) }, ports };
  });
}

export interface RunningRedisSentinel {
  topology: Extract<RedisTopology, { kind: 'sentinel' }>;
  sentinelPorts: number[];
  /** The port of the server the sentinels currently call master. */
  masterPort(): Promise<number>;
  /**
   * `SENTINEL FAILOVER <name>` and waits until every sentinel names the former replica as master
   * and it answers as one. Resolves to the ports before and after.
   */
  failover(): Promise<{ from: number; to: number }>;
  stop(): Promise<void>;
}

const MASTER_NAME = 'mymaster';

/**
 * A master, one replica (`--replicaof`) and three sentinels (quorum 2), returned once every sentinel
 * names the master and knows the replica and the other sentinels, so a failover can start at once.
 * Short timeouts (down-after 1 s, failover-timeout 5 s) keep a test's failover to a few seconds.
 */
export async function startRedisSentinel(): Promise<RunningRedisSentinel> {
  return launch('redis-sentinel', async (launched) => {
    const masterPort = await unusedPort();
    const replicaPort = await unusedPort();
    startServer(launched, ['--port', String(masterPort), ...EPHEMERAL]);
    startServer(launched, ['--port', String(replicaPort), '--replicaof', '127.0.0.1', String(masterPort), ...EPHEMERAL]);
    await Promise.all([masterPort, replicaPort].map(waitForPing));
    await waitFor(async () => (await redisCli(replicaPort, 'info', 'replication')).includes('master_link_status:up'), { timeoutMs: FORM_TIMEOUT_MS, intervalMs: 100 });

    const sentinelPorts: number[] = [];
    for (let index = 0; index < 3; index += 1) {
      const port = await unusedPort();
      sentinelPorts.push(port);
      // A sentinel rewrites its config file, so each needs a writable one of its own.
      const conf = join(launched.dir, `sentinel-${port}.conf`);
      await writeFile(
        conf,
        [
          `port ${port}`,
          'bind 127.0.0.1',
          `dir ${launched.dir}`,
          `sentinel monitor ${MASTER_NAME} 127.0.0.1 ${masterPort} 2`,
          `sentinel down-after-milliseconds ${MASTER_NAME} 1000`,
          `sentinel failover-timeout ${MASTER_NAME} 5000`,
          `sentinel parallel-syncs ${MASTER_NAME} 1`,
          '',
        ].join('\n'),
      );
      startServer(launched, [conf, '--sentinel']);
    }
    await Promise.all(sentinelPorts.map(waitForPing));

    const masterOf = async (sentinel: number): Promise<number | null> => {
      const reply = await redisCli(sentinel, 'sentinel', 'get-master-addr-by-name', MASTER_NAME).catch(() => '');
      const port = Number(reply.split('\n')[1]);
      return Number.isInteger(port) && port > 0 ? port : null;
    };
    // Agreement means every sentinel names the same master and has found the replica and its peers.
    const agreeOn = async (port: number): Promise<boolean> => {
      for (const sentinel of sentinelPorts) {
        if ((await masterOf(sentinel)) !== port) return false;
        const master = await redisCli(sentinel, 'sentinel', 'master', MASTER_NAME).catch(() => '');
        const fields = master.split('\n');
        const field = (name: string) => fields[fields.indexOf(name) + 1];
        if (field('num-slaves') !== '1' || field('num-other-sentinels') !== '2' || field('flags') !== 'master') return false;
      }
      return true;
    };
    await waitFor(() => agreeOn(masterPort), { timeoutMs: FORM_TIMEOUT_MS, intervalMs: 100 });

    const currentMaster = async (): Promise<number> => {
      const port = await masterOf(sentinelPorts[0] ?? 0);
      if (port === null) throw new Error('the first sentinel names no master');
      return port;
    };
    return {
      topology: { kind: 'sentinel' as const, sentinels: sentinelPorts.map((port) => ({ host: '127.0.0.1', port })), name: MASTER_NAME },
      sentinelPorts,
      masterPort: currentMaster,
      async failover() {
        const from = await currentMaster();
        const to = from === masterPort ? replicaPort : masterPort;
        await redisCli(sentinelPorts[0] ?? 0, 'sentinel', 'failover', MASTER_NAME);
        await waitFor(
          async () => {
            if (!(await agreeOn(to))) return false;
            return (await redisCli(to, 'role').catch(() => '')).startsWith('master');
          },
          { timeoutMs: FORM_TIMEOUT_MS, intervalMs: 100 },
        );
        return { from, to };
      },
    };
  });
}
