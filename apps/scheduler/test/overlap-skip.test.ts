import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runSlowCrawlSchedule, startSchedulerWorld, type SchedulerWorld } from './harness';

/**
 * A slow crawl, for real: crawl workers against a sandbox that takes 600 ms per answer, so a
 * 5-page hashtag crawl runs for about 4 s while the schedule ticks every 2 s.
 */
describe('overlap: skip', () => {
  let world: SchedulerWorld;
  beforeAll(async () => {
    world = await startSchedulerWorld({ sandbox: { latencyMs: 600 } });
    world.worker.startWorkers();
  });
  afterAll(async () => {
    await world.close();
  });

  it('records a skipped run for a tick that comes while the previous crawl is still running, and never runs two crawls at once', async () => {
    const { runs, crawls } = await runSlowCrawlSchedule(world, { name: 'slow crawl', overlap: 'skip', maxPages: 5 });
    const skipped = runs.filter(({ run }) => run.outcome === 'skipped');
    const started = runs.filter(({ run }) => run.outcome === 'started');
    expect(runs.length).toBeGreaterThanOrEqual(6);
    expect(skipped.length).toBeGreaterThanOrEqual(2);
    expect(started.length).toBeGreaterThanOrEqual(2);
    expect(crawls.map((crawl) => crawl.id)).toEqual(started.map(({ crawl }) => crawl?.id));
    expect(crawls.filter((crawl) => crawl.status === 'completed').length).toBeGreaterThanOrEqual(2);

    // One crawl at a time: each started only after the one before it had finished.
    for (let index = 1; index < crawls.length; index += 1) {
      const before = crawls[index - 1];
      const after = crawls[index];
      expect(before?.finishedAt).not.toBeNull();
      expect(after?.startedAt?.getTime() ?? Infinity).toBeGreaterThanOrEqual(before?.finishedAt?.getTime() ?? Infinity);
    }
    // Every skipped tick names a crawl of this schedule that was still active at that tick.
    for (const { run } of skipped) {
      const blocker = crawls.find((crawl) => run.reason?.includes(crawl.id));
      expect(blocker, run.reason ?? '').toBeDefined();
      expect(blocker?.fireTime?.getTime() ?? Infinity).toBeLessThan(run.fireTime.getTime());
      expect(blocker?.finishedAt?.getTime() ?? Infinity).toBeGreaterThan(run.fireTime.getTime());
      expect(run.crawlId).toBeNull();
    }
  });
});
