import { crawlJobId } from '@pubcrawl/queue';
import { compileCron } from '@pubcrawl/scheduling';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSchedulerWorld, type SchedulerWorld } from './harness';

describe('three scheduler replicas', () => {
  let world: SchedulerWorld;
  beforeAll(async () => {
    world = await startSchedulerWorld();
  });
  afterAll(async () => {
    await world.close();
  });

  it('running an every-2-seconds schedule for 20 s make one run per tick, never two with the same fire time', async () => {
    const cron = '*/2 * * * * *';
    const schedule = await world.createSchedule({
      name: 'every two seconds',
      cron,
      timezone: 'UTC',
      crawl: { kind: 'hashtag', target: { name: 'tag_30' }, maxPages: 1 },
      catchUp: 'none',
    });
    const replicas = [world.startReplica(), world.startReplica(), world.startReplica()];
    await Promise.all(replicas.map((replica) => replica.ready));
    const startedAt = world.clock.now();
    for (let step = 0; step < 10; step += 1) {
      // All three replicas' timers for a tick fire at the same instant, so their claims race in
      // Postgres. Finishing the crawl before the next tick makes every tick start one.
      await world.advance(2_000);
      await world.finishCrawls(schedule.id);
    }
    const stoppedAt = world.clock.now();
    await Promise.all(replicas.map((replica) => replica.stop()));

    const compiled = compileCron(cron, 'UTC');
    const expected: number[] = [];
    for (let tick = compiled.next(startedAt); tick && tick <= stoppedAt; tick = compiled.next(tick)) expected.push(tick.getTime());
    expect(expected).toHaveLength(10);

    // Every tick between start and stop, once, and nothing else: nominal times, 2 s apart.
    const runs = await world.runs(schedule.id);
    expect(runs.map(({ run }) => run.fireTime.getTime())).toEqual(expected);
    expect(runs.every(({ run }) => run.outcome === 'started')).toBe(true);

    // Each replica fired every tick, and exactly one claim per tick went through.
    const counts = replicas.map((replica) => replica.counts());
    expect(counts.map((count) => count.fired + count.already_claimed)).toEqual([10, 10, 10]);
    expect(counts.reduce((sum, count) => sum + count.fired, 0)).toBe(10);
    expect(counts.every((count) => count.failed === 0 && count.changed === 0)).toBe(true);

    // One crawl per run, under the run's identity, with exactly one first-segment job.
    for (const { run, crawl } of runs) {
      expect(crawl?.scheduleId).toBe(schedule.id);
      expect(crawl?.fireTime?.getTime()).toBe(run.fireTime.getTime());
      if (!crawl) continue;
      const job = await world.worker.context.queues['crawl-hashtag'].getJob(crawlJobId(crawl, 0));
      expect(job?.data).toMatchObject({ crawlId: crawl.id, segment: 0 });
    }
    const jobCounts = await world.worker.context.queues['crawl-hashtag'].getJobCounts();
    expect(Object.values(jobCounts).reduce((sum, count) => sum + count, 0)).toBe(10);
  });
});
