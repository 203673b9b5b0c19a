import { scheduleRuns } from '@pubcrawl/db';
import { MAX_WAITING_RUNS } from '@pubcrawl/domain';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSchedulerWorld, type SchedulerWorld } from './harness';

const crawl = { kind: 'hashtag', target: { name: 'tag_500' }, maxPages: 5 } as const;

/** As overlap-skip.test.ts, with `overlap: queue`: waiting runs are started by the replica's poll. */
describe('overlap: queue', () => {
  let world: SchedulerWorld;
  beforeAll(async () => {
    world = await startSchedulerWorld();
  });
  afterAll(async () => {
    await world.close();
  });

  it('makes a tick that comes while the previous crawl is running wait, and starts it, oldest first, at the first poll after that crawl finished', async () => {
    const schedule = await world.createSchedule({ name: 'queued', cron: '*/2 * * * * *', timezone: 'UTC', crawl, overlap: 'queue', catchUp: 'none' });
    const scheduler = world.startReplica();
    await scheduler.ready;
    const runs = async () =>
      (await world.runs(schedule.id)).map(({ run }) => [run.fireTime.getTime() - start, run.outcome, run.crawlId === null ? 'waiting' : 'has crawl']);
    const start = world.clock.now().getTime() - 500;

    // Polls come half a second after each even-second tick.
    await world.advance(6_000); // ticks at +2 (starts), +4 and +6 (wait), polls at +2.5, +4.5, +6.5
    expect(await runs()).toEqual([
      [2_000, 'started', 'has crawl'],
      [4_000, 'queued', 'waiting'],
      [6_000, 'queued', 'waiting'],
    ]);
    await world.finishCrawls(schedule.id);
    await world.advance(1_000); // no poll yet: the wait lasts until the next one
    expect((await runs())[1]).toEqual([4_000, 'queued', 'waiting']);
    await world.advance(1_000); // tick at +8 waits behind the others; the poll at +8.5 starts +4
    expect(await runs()).toEqual([
      [2_000, 'started', 'has crawl'],
      [4_000, 'queued', 'has crawl'],
      [6_000, 'queued', 'waiting'],
      [8_000, 'queued', 'waiting'],
    ]);
    await world.advance(2_000); // the +4 crawl is still queued: nothing starts at +10.5
    expect((await runs()).filter(([, , crawlState]) => crawlState === 'has crawl')).toHaveLength(2);
    await world.finishCrawls(schedule.id);
    await world.advance(2_000); // the poll at +12.5 starts +6, the oldest waiting
    await scheduler.stop();
    expect((await runs()).map(([offset, , crawlState]) => [offset, crawlState])).toEqual([
      [2_000, 'has crawl'],
      [4_000, 'has crawl'],
      [6_000, 'has crawl'],
      [8_000, 'waiting'],
      [10_000, 'waiting'],
      [12_000, 'waiting'],
    ]);

    // Each waiting run got its crawl row only once the previous crawl had finished.
    const crawls = await world.crawls(schedule.id);
    expect(crawls.map((row) => row.fireTime?.getTime())).toEqual([start + 2_000, start + 4_000, start + 6_000]);
    for (let index = 1; index < crawls.length; index += 1) {
      expect(crawls[index]?.createdAt.getTime() ?? 0).toBeGreaterThanOrEqual(crawls[index - 1]?.finishedAt?.getTime() ?? Infinity);
    }
  });

  it(`records a tick as skipped, with the reason, once MAX_WAITING_RUNS (${MAX_WAITING_RUNS}) runs wait, and queues again once one started`, async () => {
    const schedule = await world.createSchedule({ name: 'backlog', cron: '*/2 * * * * *', timezone: 'UTC', crawl, overlap: 'queue', catchUp: 'none' });
    const scheduler = world.startReplica();
    await scheduler.ready;
    const start = world.clock.now().getTime() - 500;
    await world.advance(2_000); // +2 starts a crawl
    // The backlog, written directly: filling it tick by tick is fire.test.ts's job (same claim
    // transaction), and 100 more fires here would only spend the test's time.
    await world.worker.context.db.db
      .insert(scheduleRuns)
      .values(Array.from({ length: MAX_WAITING_RUNS }, (_, index) => ({ scheduleId: schedule.id, fireTime: new Date(start - (index + 1) * 60_000), outcome: 'queued' as const })));
    await world.advance(2_000); // +4: the backlog is full
    await world.finishCrawls(schedule.id);
    await world.advance(2_000); // +6: still full at the tick; the poll at +6.5 starts the oldest waiting run
    await world.advance(2_000); // +8: room again
    await scheduler.stop();

    const runs = (await world.runs(schedule.id)).filter(({ run }) => run.fireTime.getTime() > start);
    expect(runs.map(({ run }) => [run.fireTime.getTime() - start, run.outcome, run.crawlId === null])).toEqual([
      [2_000, 'started', false],
      [4_000, 'skipped', true],
      [6_000, 'skipped', true],
      [8_000, 'queued', true],
    ]);
    for (const { run } of runs.slice(1, 3)) expect(run.reason).toContain(`${MAX_WAITING_RUNS} runs are already waiting their turn`);
    const oldest = (await world.runs(schedule.id))[0];
    expect(oldest?.run.fireTime.getTime()).toBe(start - MAX_WAITING_RUNS * 60_000);
    expect(oldest?.crawl?.fireTime?.getTime()).toBe(oldest?.run.fireTime.getTime());
  });
});
