import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { captureOutput, signalAndWait, waitFor } from '@pubcrawl/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSchedulerWorld, type SchedulerWorld } from './harness';

const schedulerMain = fileURLToPath(new URL('../src/main.ts', import.meta.url));

/**
 * The one real-time test: the production wiring (node-cron tasks on the real clock) that every
 * other file replaces with a clock it moves by hand. Waits are for the process, at most about 2 s
 * for ticks.
 */
describe('pnpm scheduler (src/main.ts)', () => {
  let world: SchedulerWorld;
  beforeAll(async () => {
    world = await startSchedulerWorld();
  });
  afterAll(async () => {
    await world.close();
  });

  it('fires an every-second schedule within 2 s of loading it, then on SIGTERM stops its tasks, closes Redis and Postgres and exits 0', async () => {
    // catchUp none: the first run must come from a node-cron tick, not from the catch-up at load.
    const schedule = await world.createSchedule({
      name: 'main',
      cron: '* * * * * *',
      timezone: 'UTC',
      crawl: { kind: 'hashtag', target: { name: 'tag_30' }, maxPages: 1 },
      catchUp: 'none',
    });
    const child = spawn(process.execPath, ['--import', 'tsx', schedulerMain], {
      env: { ...process.env, ...world.worker.env, LOG_LEVEL: 'info' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const output = captureOutput(child);
    try {
      // Starting node with tsx takes what it takes on a busy runner; that is not the tick under test.
      await waitFor(() => output().includes('schedules loaded'), { timeoutMs: 20_000, describe: () => output().slice(-2_000) });
      const loadedAt = Date.now();
      const [first] = await waitFor(async () => {
        const runs = await world.runs(schedule.id);
        return runs.length > 0 ? runs : undefined;
      }, { timeoutMs: 2_000, describe: () => output().slice(-2_000) });
      expect(first?.run).toMatchObject({ outcome: 'started', reason: null });
      // A nominal tick time, whole seconds, within about a second of the load.
      expect((first?.run.fireTime.getTime() ?? 1) % 1_000).toBe(0);
      expect(Math.abs((first?.run.fireTime.getTime() ?? 0) - loadedAt)).toBeLessThan(2_000);

      const { code, signal } = await signalAndWait(child, 'SIGTERM', 20_000);
      expect({ code, signal }).toEqual({ code: 0, signal: null });
      expect(output()).toContain('shutdown complete');
      // No tick is claimed after the process is gone (one tick's worth of waiting).
      const count = (await world.runs(schedule.id)).length;
      await new Promise((resolve) => setTimeout(resolve, 1_200));
      expect((await world.runs(schedule.id)).length).toBe(count);
    } finally {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    }
    // Starting node with tsx, then SIGTERM's grace: the process's time, not ticks.
  }, 45_000);
});
