import { crawlJobId } from '@pubcrawl/queue';
import { compileCron } from '@pubcrawl/schemas';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sleep, sleepUntilPhase, startSchedulerWorld, type SchedulerWorld } from './harness';

describe('three scheduler replicas', () => {
  let world: SchedulerWorld;
  beforeAll(async () => {
    world = await startSchedulerWorld();
    // Real crawl workers, so that each tick's crawl finishes before the next tick and every tick starts one.
    world.worker.startWorkers();
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
    // Start mid-gap so that "20 s" covers exactly 10 ticks, whatever the clock said when the test began.
    await sleepUntilPhase(2_000, 1_000);
    const replicas = [world.startReplica(), world.startReplica(), world.startReplica()];
    await Promise.all(replicas.map((replica) => replica.ready));
    const startedAt = Date.now();
    await sleep(20_000);
    await Promise.all(replicas.map((replica) => replica.stop()));
    const stoppedAt = Date.now();

    const runs = await world.runs(schedule.id);
    const fireTimes = runs.map(({ run }) => run.fireTime.getTime());
    expect(new Set(fireTimes).size).toBe(fireTimes.length);
    expect(runs.length).toBeGreaterThanOrEqual(9);
    expect(runs.length).toBeLessThanOrEqual(11);

    // Each replica fired every tick and lost the claim to another about two times in three.
    const counts = replicas.map((replica) => replica.counts());
    expect(counts.reduce((sum, count) => sum + count.fired, 0)).toBe(runs.length);
    expect(counts.reduce((sum, count) => sum + count.fired + count.already_claimed, 0)).toBeGreaterThanOrEqual(3 * runs.length - 1);
    expect(counts.every((count) => count.failed === 0)).toBe(true);

    // Every tick between start and stop, and nothing else: consecutive, 2 s apart, nominal times.
    const compiled = compileCron(cron, 'UTC');
    const expected: number[] = [];
    for (let tick = compiled.next(new Date(startedAt)); tick && tick.getTime() < stoppedAt - 500; tick = compiled.next(tick)) expected.push(tick.getTime());
    // (A tick between the first replica's registration and `ready` may come before `startedAt`.)
    expect(fireTimes.filter((fireTime) => fireTime > startedAt).slice(0, expected.length)).toEqual(expected);

    // One crawl per started run, under the run's identity, with exactly one first-segment job.
    const started = runs.filter(({ run }) => run.outcome === 'started');
    expect(started.length).toBeGreaterThanOrEqual(runs.length - 1);
    for (const { run, crawl } of started) {
      expect(crawl?.scheduleId).toBe(schedule.id);
      expect(crawl?.fireTime?.getTime()).toBe(run.fireTime.getTime());
      if (!crawl) continue;
      const job = await world.worker.context.queues['crawl-hashtag'].getJob(crawlJobId(crawl, 0));
      expect(job?.data).toEqual({ crawlId: crawl.id });
    }
    const jobCounts = await world.worker.context.queues['crawl-hashtag'].getJobCounts();
    const jobs = Object.values(jobCounts).reduce((sum, count) => sum + count, 0);
    expect(jobs).toBe(started.length);
  });
});
