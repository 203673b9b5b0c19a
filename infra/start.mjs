// `pnpm start`: the embedded default. Migrates, then runs the sandbox (when no real upstream keys are
// configured), the API, the workers and the scheduler as supervised child processes, prints where
// everything is and how to authenticate, and shuts them all down cleanly on SIGTERM/SIGINT.
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const env = { ...process.env };
const production = env.NODE_ENV === 'production';
const port = Number(env.PORT || 3000);
const sandboxPort = Number(env.SANDBOX_PORT || 4010);
const notes = [];
// The worker's own default (apps/worker/src/env.ts), for when SHUTDOWN_GRACE_MS is unset.
const DEFAULT_GRACE_MS = 20_000;
const graceMs = Number(env.SHUTDOWN_GRACE_MS || DEFAULT_GRACE_MS);
// The workers get SHUTDOWN_GRACE_MS; connections and process exit need a little more. A child that
// is still alive after that is hung, and is killed rather than waited for forever.
const stopDeadlineMs = graceMs + 4_000;

const children = new Map();
let stopping = false;
let exitCode = 0;

// Secrets this launcher made up for the run. Only these are printed: an operator's own key or
// password must not end up in whatever collects this process's output.
const generated = { apiKey: false, boardPassword: false };

if (!env.API_KEYS) {
  if (production) {
    // Nothing runs yet, so there is nothing to stop.
    process.stderr.write('pnpm start: API_KEYS must be set in production\n');
    process.exit(1);
  }
  env.API_KEYS = `pc_dev_${randomBytes(12).toString('hex')}`;
  generated.apiKey = true;
  notes.push('API_KEYS was unset: generated a development key for this run.');
}
// The api and worker refuse this too (@pubcrawl/config requireCredentialsKeyInProduction); checking
// here as well means nothing is migrated or spawned first.
if (!env.CREDENTIALS_KEY) {
  if (production) {
    process.stderr.write(
      'pnpm start: CREDENTIALS_KEY must be set in production: without it stored account keys are encrypted with a key derived from DATABASE_URL (generate one with `openssl rand -hex 32`)\n',
    );
    process.exit(1);
  }
  notes.push('CREDENTIALS_KEY is unset: account keys are encrypted with a key derived from DATABASE_URL (development only; production refuses this).');
}
if (!env.BOARD_PASSWORD) {
  env.BOARD_USERNAME ||= 'admin';
  if (!production) {
    env.BOARD_PASSWORD = randomBytes(9).toString('base64url');
    generated.boardPassword = true;
    notes.push('BOARD_PASSWORD was unset: generated one for this run.');
  }
}
env.BOARD_USERNAME ||= 'admin';
const useSandbox = !env.TIKAPI_API_KEY || !env.POSTING_API_KEY;

/** Startup failed: say why, and stop whatever already runs, so nothing is left orphaned. */
function fail(message) {
  process.stderr.write(`pnpm start: ${message}\n`);
  void shutdown(1);
}

function runToCompletion(name, args, cwd) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, { cwd, env, stdio: 'inherit' });
    children.set(name, child);
    child.on('exit', (code, signal) => {
      children.delete(name);
      if (code === 0) resolve();
      else reject(new Error(`${name} exited with ${signal ?? code}`));
    });
  });
}

function startChild(name, app) {
  // `node --import tsx` rather than `pnpm <script>`: one process per app, so signals reach it directly.
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], { cwd: join(root, 'apps', app), env, stdio: 'inherit' });
  children.set(name, child);
  child.on('exit', (code, signal) => {
    children.delete(name);
    if (!stopping) {
      process.stderr.write(`pnpm start: ${name} stopped unexpectedly (${signal ?? code}); stopping the rest\n`);
      void shutdown(1);
    } else if (code !== 0) {
      // A clean stop is exit 0 from every app; anything else must not be reported as success.
      process.stderr.write(`pnpm start: ${name} exited with ${signal ?? code} while stopping\n`);
      exitCode = 1;
    }
  });
  return child;
}

async function waitForUrl(url, timeoutMs) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline && !stopping) {
    try {
      const response = await fetch(url);
      if (response.ok) return true;
    } catch {
      // not up yet
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  return false;
}

function stopChildren(names) {
  const exits = names.map((name) => {
    const child = children.get(name);
    if (child === undefined) return Promise.resolve();
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGTERM');
    return exited;
  });
  return Promise.all(exits);
}

async function shutdown(code) {
  if (stopping) return;
  stopping = true;
  exitCode = code;
  const deadline = setTimeout(() => {
    process.stderr.write(`pnpm start: ${[...children.keys()].join(', ')} still running ${stopDeadlineMs} ms after SIGTERM; killing\n`);
    for (const child of children.values()) child.kill('SIGKILL');
    process.exit(1);
  }, stopDeadlineMs);
  // Producers and consumers first (and a preflight or migration, if we are still at that step); the sandbox
  // last, so upstream calls in flight can finish.
  await stopChildren(['preflight', 'db:migrate', 'scheduler', 'api', 'worker']);
  await stopChildren(['sandbox']);
  clearTimeout(deadline);
  process.exit(exitCode);
}
process.on('SIGTERM', () => void shutdown(0));
process.on('SIGINT', () => void shutdown(0));

// pnpm passes SIGTERM to the shell it runs a script in, and a shell waiting on a command dies of it
// without passing it on (pnpm/pnpm#2653); that is why the start script `exec`s this file. Whatever
// launches us some other way and then dies must not leave everything here running without a
// parent, so losing our parent is taken as being told to stop.
const parentPid = process.ppid;
setInterval(() => {
  if (process.ppid !== parentPid) void shutdown(0);
}, 500).unref();

/**
 * Checks that Postgres and Redis answer, with the probes every app runs at its own start
 * (@pubcrawl/db probePostgres, @pubcrawl/queue probeRedis). Inline, in the scheduler's package,
 * because that is where those packages resolve; it prints its own one line per unreachable service.
 */
const PREFLIGHT_SCRIPT = `
import { commonEnvFields, loadEnv, preflight, redisEnv, redisTopology } from '@pubcrawl/config';
import { probePostgres } from '@pubcrawl/db';
import { probeRedis } from '@pubcrawl/queue';
const env = loadEnv(commonEnvFields.pick({ DATABASE_URL: true }));
const redis = redisTopology(loadEnv(redisEnv));
await preflight([probePostgres(env.DATABASE_URL), probeRedis(redis)], { prefix: 'pnpm start' });
`;

await main();

async function main() {
  try {
    await runToCompletion('preflight', ['--import', 'tsx', '--input-type=module', '--eval', PREFLIGHT_SCRIPT], join(root, 'apps', 'scheduler'));
  } catch {
    // The preflight has already said what is wrong, in one line; another would only add noise.
    return void shutdown(1);
  }
  if (stopping) return;
  try {
    await runToCompletion('db:migrate', ['--import', 'tsx', 'src/migrate-cli.ts'], join(root, 'packages', 'db'));
  } catch (error) {
    return fail(error.message);
  }
  if (stopping) return;
  if (useSandbox) {
    startChild('sandbox', 'sandbox');
    if (!(await waitForUrl(`http://127.0.0.1:${sandboxPort}/__sandbox/config`, 30_000))) return fail('the sandbox did not start');
  }
  if (stopping) return;
  startChild('api', 'api');
  startChild('worker', 'worker');
  startChild('scheduler', 'scheduler');
  if (!(await waitForUrl(`http://127.0.0.1:${port}/readyz`, 60_000))) return fail('the API did not become ready');
  if (stopping) return;
  printBanner();
}

function printBanner() {
  const base = `http://localhost:${port}`;
  const key = generated.apiKey ? env.API_KEYS : '<a key from your API_KEYS>';
  const password = generated.boardPassword ? env.BOARD_PASSWORD : env.BOARD_PASSWORD ? '(the BOARD_PASSWORD you set)' : '(board off: set BOARD_PASSWORD)';
  process.stdout.write(
    [
      '',
      'pubcrawl is running',
      `  API          ${base}/v1   (Authorization: Bearer ${key})`,
      `  API docs     ${base}/docs`,
      `  Bull Board   ${base}/admin/queues   (user ${env.BOARD_USERNAME}, password ${password})`,
      `  Metrics      ${base}/metrics`,
      `  Upstreams    ${useSandbox ? `sandbox at http://127.0.0.1:${sandboxPort} (no real keys configured)` : 'real APIs'}`,
      ...notes.map((note) => `  note: ${note}`),
      '',
      `  try: curl -s -H 'Authorization: Bearer ${key}' ${base}/v1/ping -X POST -H 'content-type: application/json' -d '{"echo":"hi"}'`,
      '  stop with Ctrl+C (or SIGTERM): active jobs get SHUTDOWN_GRACE_MS to finish.',
      '',
    ].join('\n'),
  );
}
