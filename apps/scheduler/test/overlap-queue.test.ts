import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runSlowCrawlSchedule, startSchedulerWorld, type SchedulerWorld } from './harness';

/** The same slow crawl as overlap-skip.test.ts, with `overlap: queue`. */
describe('overlap: queue', () => {
  let world: SchedulerWorld;
  beforeAll(async () => {
    world = await startSchedulerWorld({ sandbox: { latencyMs: 600 } });
    world.worker.startWorkers();
  });
  afterAll(async () => {
    await world.close();
  });

  it('makes a tick that comes while the previous crawl is running wait, and starts it, oldest first, once that crawl finished', async () => {
    const { runs, crawls } = await runSlowCrawlSchedule(world, { name: 'slow crawl, queued', overlap: 'queue', maxPages: 4 });
    expect(runs[0]?.run.outcome).toBe('started');
    expect(runs.slice(1).every(({ run }) => run.outcome === 'queued')).toBe(true);
    const startedLater = runs.filter(({ run }) => run.outcome === 'queued' && run.crawlId !== null);
    const stillWaiting = runs.filter(({ run }) => run.outcome === 'queued' && run.crawlId === null);
    expect(startedLater.length).toBeGreaterThanOrEqual(1);
    expect(stillWaiting.length).toBeGreaterThanOrEqual(1);
    // Oldest first: the runs that got a crawl are exactly the oldest ticks.
    expect(runs.slice(0, crawls.length).map(({ run }) => run.crawlId)).toEqual(crawls.map((crawl) => crawl.id));

    for (let index = 1; index < crawls.length; index += 1) {
      const before = crawls[index - 1];
      const after = crawls[index];
      expect(before?.finishedAt).not.toBeNull();
      // The waiting run got its crawl row only once the previous crawl had finished...
      expect(after?.createdAt.getTime() ?? 0).toBeGreaterThanOrEqual((before?.finishedAt?.getTime() ?? Infinity) - 50);
      // ...and it ran after it, never alongside.
      expect(after?.startedAt?.getTime() ?? Infinity).toBeGreaterThanOrEqual(before?.finishedAt?.getTime() ?? Infinity);
    }
  });
});
