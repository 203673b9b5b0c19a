import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { captureOutput } from '@pubcrawl/testing';

export const REPO_ROOT = fileURLToPath(new URL('../../../', import.meta.url));

/** How each process is started by hand: `node --import tsx src/main.ts` in its app, and the launcher. */
export const ENTRY_POINTS = {
  api: { args: ['--import', 'tsx', 'src/main.ts'], cwd: `${REPO_ROOT}apps/api` },
  worker: { args: ['--import', 'tsx', 'src/main.ts'], cwd: `${REPO_ROOT}apps/worker` },
  scheduler: { args: ['--import', 'tsx', 'src/main.ts'], cwd: `${REPO_ROOT}apps/scheduler` },
  'pnpm start': { args: ['infra/start.mjs'], cwd: REPO_ROOT },
} as const;
export type EntryPoint = keyof typeof ENTRY_POINTS;

export interface Refusal {
  code: number | null;
  signal: NodeJS.Signals | null;
  afterMs: number;
  stderr: string;
  /** Everything printed, both streams. */
  output: string;
  lines: string[];
}

/**
 * Runs an entry point that is expected to refuse to start, and waits for it to exit. One still
 * running after `killAfterMs` is SIGKILLed, so a process that hangs fails its test instead of
 * leaking.
 */
export async function runToExit(entry: EntryPoint, env: Record<string, string | undefined>, killAfterMs = 20_000): Promise<Refusal> {
  const { args, cwd } = ENTRY_POINTS[entry];
  const startedAt = Date.now();
  const child = spawn(process.execPath, args, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  const output = captureOutput(child);
  const exited = once(child, 'exit') as Promise<[number | null, NodeJS.Signals | null]>;
  const guard = setTimeout(() => child.kill('SIGKILL'), killAfterMs);
  try {
    const [code, signal] = await exited;
    const text = output();
    return { code, signal, afterMs: Date.now() - startedAt, stderr, output: text, lines: text.split('\n').filter((line) => line.trim() !== '') };
  } finally {
    clearTimeout(guard);
  }
}
