import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { accessSync, constants } from 'node:fs';
import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { promisify } from 'node:util';
import { captureOutput } from './child';
import { unusedPort } from './ports';

const run = promisify(execFile);

export interface PgBouncerOptions {
  /**
   * Server connections per (database, user) pair. Default 5: fewer than the clients a test opens, so
   * clients really do take turns on server connections and any session state one of them leaves
   * behind is seen by another.
   */
  poolSize?: number;
  /** Client connections PgBouncer accepts. Default 500: never the limit a test runs into. */
  maxClientConn?: number;
  /**
   * Seconds a client may wait for a server connection before PgBouncer refuses its query. Default 20
   * (PgBouncer's is 120): a pool starved by clients that hold server connections fails the test
   * with PgBouncer's error instead of timing it out.
   */
  queryWaitTimeoutSeconds?: number;
}

export interface RunningPgBouncer {
  /** The loopback port PgBouncer listens on. */
  port: number;
  /** e.g. "1.18.0". */
  version: string;
  /** `max_prepared_statements = 0` was set: this version (1.21+) tracks prepared statements. */
  preparedStatementTracking: boolean;
  /** A URL for database `name` through PgBouncer, as the user of the server URL, no password. */
  urlFor(name: string): string;
  /** Everything PgBouncer logged so far, for failure messages. */
  log(): string;
  /** Stops PgBouncer and removes its directory. Safe to call twice. */
  stop(): Promise<void>;
}

const SEARCHED_DIRECTORIES = ['/usr/sbin', '/usr/local/sbin', '/usr/bin', '/usr/local/bin'];

/** The pgbouncer binary (PGBOUNCER_PATH, then PATH, then the sbin directories), or null. */
export function pgbouncerBinary(): string | null {
  const explicit = process.env.PGBOUNCER_PATH;
  // sbin is not on a non-root user's PATH on Debian, which is where its package puts the binary.
  const candidates = explicit ? [explicit] : [...(process.env.PATH ?? '').split(delimiter).filter(Boolean), ...SEARCHED_DIRECTORIES].map((dir) => join(dir, 'pgbouncer'));
  for (const candidate of candidates) {
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not here
    }
  }
  return null;
}

/** A connection string value in PgBouncer's `[databases]` syntax. */
function connValue(value: string): string {
  return /^[A-Za-z0-9._/-]+$/.test(value) ? value : `'${value.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
}

/** An auth_file line: a double-quoted name and password, quotes doubled. */
function userlistLine(user: string, password: string): string {
  return `"${user.replace(/"/g, '""')}" "${password.replace(/"/g, '""')}"\n`;
}

async function pgbouncerVersion(binary: string): Promise<{ text: string; major: number; minor: number }> {
  const { stdout } = await run(binary, ['--version']);
  const match = /PgBouncer (\d+)\.(\d+)(\.\d+)?/.exec(stdout);
  if (!match) throw new Error(`cannot read the version from "${binary} --version": ${stdout.trim()}`);
  return { text: `${match[1]}.${match[2]}${match[3] ?? ''}`, major: Number(match[1]), minor: Number(match[2]) };
}

async function portAnswers(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = once(child, 'exit');
  // SIGTERM is PgBouncer's immediate shutdown: clients are dropped, which is what a teardown wants.
  child.kill('SIGTERM');
  const guard = setTimeout(() => child.kill('SIGKILL'), 5_000);
  try {
    await exited;
  } finally {
    clearTimeout(guard);
  }
}

/**
 * A private PgBouncer in transaction pooling mode in front of the Postgres server of `serverUrl`
 * (any database: `[databases] *` is a fallback for every name), listening on a free loopback port.
 * Clients authenticate with trust; PgBouncer logs in to Postgres as the URL's user and password.
 *
 * Nothing is set that would hide a session-state bug: no `ignore_startup_parameters` (a startup
 * parameter PgBouncer does not track, such as `options=-c ...`, is refused at connect), and on
 * versions that track prepared statements, `max_prepared_statements = 0`, so a named statement is
 * passed through and fails as soon as its client lands on another server connection.
 */
export async function startPgBouncer(serverUrl: string, options: PgBouncerOptions = {}): Promise<RunningPgBouncer> {
  const binary = pgbouncerBinary();
  if (binary === null) throw new Error('pgbouncer is not installed (apt-get install -y pgbouncer, or set PGBOUNCER_PATH)');
  const version = await pgbouncerVersion(binary);
  const preparedStatementTracking = version.major > 1 || (version.major === 1 && version.minor >= 21);
  const server = new URL(serverUrl);
  const user = decodeURIComponent(server.username) || 'postgres';
  const password = decodeURIComponent(server.password);

  const dir = await mkdtemp(join(tmpdir(), 'pubcrawl-pgbouncer-'));
  // PgBouncer refuses to run as root; as root it is started with `-u postgres` (it drops to that
  // user itself), and that user must be able to read its files. They hold no secret but the
  // server password of a test database.
  const asRoot = process.getuid?.() === 0;
  if (asRoot) await chmod(dir, 0o755);
  const userlist = join(dir, 'userlist.txt');
  await writeFile(userlist, userlistLine(user, ''), { mode: 0o644 });

  const serverTarget = [
    `host=${connValue(server.hostname.replace(/^\[|\]$/g, '') || '127.0.0.1')}`,
    `port=${server.port || '5432'}`,
    `user=${connValue(user)}`,
    ...(password ? [`password=${connValue(password)}`] : []),
  ].join(' ');

  let child: ChildProcess | undefined;
  let output: () => string = () => '';
  let stopped = false;
  const cleanup = async () => {
    if (child) await stopChild(child);
    await rm(dir, { recursive: true, force: true });
  };

  try {
    // unusedPort releases the port before PgBouncer binds it; another process may take it between
    // the two, so a bind failure is retried on a new port.
    for (let attempt = 1; ; attempt += 1) {
      const port = await unusedPort();
      const ini = join(dir, 'pgbouncer.ini');
      const lines = [
        '[databases]',
        `* = ${serverTarget}`,
        '',
        '[pgbouncer]',
        'listen_addr = 127.0.0.1',
        `listen_port = ${port}`,
        // No unix socket: nothing but the test's TCP clients, and no file left in /tmp.
        'unix_socket_dir =',
        'auth_type = trust',
        `auth_file = ${userlist}`,
        'pool_mode = transaction',
        `default_pool_size = ${options.poolSize ?? 5}`,
        'min_pool_size = 0',
        'reserve_pool_size = 0',
        `max_client_conn = ${options.maxClientConn ?? 500}`,
        `query_wait_timeout = ${options.queryWaitTimeoutSeconds ?? 20}`,
        ...(preparedStatementTracking ? ['max_prepared_statements = 0'] : []),
        'log_connections = 0',
        'log_disconnections = 0',
        '',
      ];
      await writeFile(ini, lines.join('\n'), { mode: 0o644 });
      const started = spawn(binary, asRoot ? ['-u', 'postgres', ini] : [ini], { stdio: ['ignore', 'pipe', 'pipe'] });
      child = started;
      output = captureOutput(started);
      const exited = once(started, 'exit').then(() => true);
      const deadline = Date.now() + 10_000;
      let listening = false;
      while (!listening && Date.now() < deadline) {
        const ended = await Promise.race([exited, new Promise<false>((resolve) => setTimeout(() => resolve(false), 50))]);
        if (ended) break;
        listening = await portAnswers(port);
      }
      if (listening) {
        return {
          port,
          version: version.text,
          preparedStatementTracking,
          urlFor(name: string) {
            const url = new URL(serverUrl);
            url.hostname = '127.0.0.1';
            url.port = String(port);
            url.password = '';
            url.pathname = `/${name}`;
            return url.toString();
          },
          log: () => output(),
          async stop() {
            if (stopped) return;
            stopped = true;
            await cleanup();
          },
        };
      }
      await stopChild(started);
      if (!/Address already in use/i.test(output()) || attempt >= 5) {
        throw new Error(`pgbouncer ${version.text} did not listen on 127.0.0.1:${port}:\n${output()}`);
      }
    }
  } catch (caught) {
    await cleanup();
    throw caught;
  }
}
