import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { captureOutput, signalAndWait, waitFor } from '@pubcrawl/testing';
import { describe, expect, it } from 'vitest';

const APP_DIR = fileURLToPath(new URL('../', import.meta.url));

/** `src/main.ts` the way `pnpm sandbox`, start.mjs and docker-compose run it, with `overrides` over this env. */
function startMain(overrides: Record<string, string>) {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
    cwd: APP_DIR,
    env: { ...process.env, LOG_LEVEL: 'info', SANDBOX_PORT: '0', ...overrides },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  return { child, output: captureOutput(child) };
}

describe('the sandbox process', () => {
  it('serves on the port it logs, and closes and exits 0 on SIGTERM', async () => {
    const { child, output } = startMain({});
    try {
      const url = await waitFor(() => /"url":"(http:\/\/[^"]+)"[^\n]*sandbox listening/.exec(output())?.[1], {
        timeoutMs: 20_000,
        describe: output,
      });
      const health = await fetch(`${url}/__sandbox/health`);
      expect(await health.json()).toEqual({ ok: true });

      const { code, signal } = await signalAndWait(child, 'SIGTERM', 10_000);
      expect({ code, signal }, output()).toEqual({ code: 0, signal: null });
      expect(output()).toContain('sandbox stopping');
      await expect(fetch(`${url}/__sandbox/health`)).rejects.toThrow();
    } finally {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    }
  });

  it('names a bad variable and exits 1 without listening', async () => {
    const { child, output } = startMain({ SANDBOX_ERROR_RATE: '2' });
    const [code] = (await once(child, 'exit')) as [number | null];
    expect(code, output()).toBe(1);
    expect(output()).toContain('SANDBOX_ERROR_RATE');
    expect(output()).not.toContain('sandbox listening');
  });
});
