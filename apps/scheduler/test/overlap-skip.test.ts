import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSchedulerWorld, type SchedulerWorld } from './harness';

/**
 * One replica on an every-2-seconds schedule, with the crawl's state set by hand between ticks (as
 * a crawl worker would move it), so each tick meets a known previous crawl.
 */
describe('overlap: skip', () => {
  let world: SchedulerWorld;
  beforeAll(async () => {
    world = await startSchedulerWorld();
  });
  afterAll(async () => {
    await world.close();
  });

  it('records a skipped run for a tick that comes while the previous crawl is queued or running, and starts the next tick once it ended', async () => {
    const schedule = await world.createSchedule({
      name: 'slow crawl',
      cron: '*/2 * * * * *',
      timezone: 'UTC',
      crawl: { kind: 'hashtag', target: { name: 'tag_500' }, maxPages: 5 },
      overlap: 'skip',
      catchUp: 'none',
    });
    const scheduler = world.startReplica();
    await scheduler.ready;
    await world.advance(2_000); // tick 1 starts a crawl, which stays queued
    await world.advance(2_000); // tick 2: skipped, queued
    await world.finishCrawls(schedule.id, 'running');
    await world.advance(2_000); // tick 3: skipped, running
    await world.finishCrawls(schedule.id, 'reauth_required');
    await world.advance(2_000); // tick 4: a crawl parked for re-authorisation does not block
    await world.finishCrawls(schedule.id, 'completed');
    await world.advance(2_000); // tick 5: the previous crawl completed
    await scheduler.stop();

    const runs = await world.runs(schedule.id);
    const crawls = await world.crawls(schedule.id);
    expect(runs.map(({ run }) => run.outcome)).toEqual(['started', 'skipped', 'skipped', 'started', 'started']);
    const [first, second] = crawls;
    expect(runs.map(({ run }) => run.reason)).toEqual([
      null,
      `the previous run's crawl ${first?.id} is still queued`,
      `the previous run's crawl ${first?.id} is still running`,
      null,
      null,
    ]);
    // No crawl for a skipped tick; every started tick has its own.
    expect(runs.map(({ run }) => run.crawlId)).toEqual([first?.id, null, null, second?.id, crawls[2]?.id]);
    expect(crawls).toHaveLength(3);
    expect(scheduler.counts()).toMatchObject({ fired: 5, failed: 0 });
  });
});
