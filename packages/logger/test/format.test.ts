import { execFileSync, spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { usePrettyOutput } from '../src/index';

// The child runs as an app does: in the worker's package, where tsx is installed (this one has none).
const APP_DIR = fileURLToPath(new URL('../../../apps/worker/', import.meta.url));
const LOG_ONE_LINE = "import { createLogger } from '@pubcrawl/logger'; createLogger({ name: 'format-test' }).info({ answer: 42 }, 'format check');";

function hasScript(): boolean {
  try {
    execFileSync('sh', ['-c', 'command -v script'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

describe('log format', () => {
  it('is pretty when stdout is a terminal and JSON otherwise, unless pretty is set explicitly', () => {
    expect(usePrettyOutput({ isTTY: true })).toBe(true);
    expect(usePrettyOutput({ isTTY: false })).toBe(false);
    expect(usePrettyOutput({ isTTY: true, pretty: false })).toBe(false);
    expect(usePrettyOutput({ isTTY: false, pretty: true })).toBe(true);
  });

  it('writes one JSON object per line when stdout is a pipe', () => {
    const result = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '--eval', LOG_ONE_LINE], { cwd: APP_DIR, encoding: 'utf8', timeout: 20_000 });
    expect(result.status, result.stderr).toBe(0);
    const lines = result.stdout.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(JSON.parse(lines[0] ?? '')).toMatchObject({ name: 'format-test', msg: 'format check', answer: 42 });
  });

  // `script` runs the process on a pseudo-terminal, the way an operator's shell does.
  it.skipIf(!hasScript())('writes pino-pretty lines when stdout is a terminal', () => {
    const command = `${JSON.stringify(process.execPath)} --import tsx --input-type=module --eval ${JSON.stringify(LOG_ONE_LINE)}`;
    const result = spawnSync('script', ['-qec', command, '/dev/null'], { cwd: APP_DIR, encoding: 'utf8', timeout: 20_000 });
    expect(result.status, result.stderr).toBe(0);
    // pino-pretty colours its output on a terminal.
    const text = result.stdout.replace(/\u001b\[[0-9;]*m/g, '');
    expect(text).toMatch(/INFO.*\(format-test\/\d+\): format check/);
    expect(text).toContain('answer: 42');
    expect(text.trimStart().startsWith('{')).toBe(false);
  });
});
