import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { captureOutput, signalAndWait, waitFor } from '@pubcrawl/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSchedulerWorld, type SchedulerWorld } from './harness';

const schedulerMain = fileURLToPath(new URL('../src/main.ts', import.meta.url));

describe('pnpm scheduler (src/main.ts)', () => {
  let world: SchedulerWorld;
  beforeAll(async () => {
    world = await startSchedulerWorld();
  });
  afterAll(async () => {
    await world.close();
  });

  it('fires schedules, then on SIGTERM stops its tasks, closes Redis and Postgres and exits 0', async () => {
    const schedule = await world.createSchedule({ name: 'main', cron: '* * * * * *', timezone: 'UTC', crawl: { kind: 'hashtag', target: { name: 'tag_30' }, maxPages: 1 } });
    const child = spawn(process.execPath, ['--import', 'tsx', schedulerMain], {
      env: { ...process.env, ...world.worker.env, LOG_LEVEL: 'info' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const output = captureOutput(child);
    try {
      await waitFor(async () => (await world.runs(schedule.id)).length >= 2, { timeoutMs: 15_000, describe: () => output().slice(-2_000) });
      const { code, signal } = await signalAndWait(child, 'SIGTERM', 20_000);
      expect({ code, signal }).toEqual({ code: 0, signal: null });
      expect(output()).toContain('shutdown complete');
      // No tick is claimed after the process is gone.
      const count = (await world.runs(schedule.id)).length;
      await new Promise((resolve) => setTimeout(resolve, 1_500));
      expect((await world.runs(schedule.id)).length).toBe(count);
    } finally {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    }
  });
});
