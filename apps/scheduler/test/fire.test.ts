import { createDb, crawls, fireSchedule, schedules, startWaitingRun, type DbHandle } from '@pubcrawl/db';
import { MAX_WAITING_RUNS } from '@pubcrawl/domain';
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSchedulerWorld, type SchedulerWorld } from './harness';

const crawl = { kind: 'hashtag', target: { name: 'tag_30' }, maxPages: 1 } as const;

/** The fire path on its own (what every replica and POST /run call), against real Postgres. */
describe('fireSchedule', () => {
  let world: SchedulerWorld;
  let pools: DbHandle[];
  beforeAll(async () => {
    world = await startSchedulerWorld();
    pools = [0, 1, 2].map(() => createDb(world.worker.env.DATABASE_URL ?? '', { max: 2 }));
  });
  afterAll(async () => {
    await Promise.all(pools.map((pool) => pool.close()));
    await world.close();
  });

  it('lets exactly one of three replicas firing the same tick at once through, with one crawl', async () => {
    const schedule = await world.createSchedule({ name: 'race', cron: '*/5 * * * * *', timezone: 'UTC', crawl });
    for (const second of [0, 5, 10, 15, 20]) {
      const fireTime = new Date(Date.UTC(2030, 0, 1, 0, 0, second));
      const results = await Promise.all(pools.map((pool) => fireSchedule(pool.db, { scheduleId: schedule.id, fireTime, trigger: 'tick' })));
      expect(results.filter((result) => result.fired)).toHaveLength(1);
      expect(results.filter((result) => !result.fired && result.reason === 'already_claimed')).toHaveLength(2);
      // Let the crawl finish so the next tick is not an overlap.
      await world.worker.context.db.db.update(crawls).set({ status: 'completed' }).where(eq(crawls.scheduleId, schedule.id));
    }
    const runs = await world.runs(schedule.id);
    expect(runs.map(({ run }) => run.outcome)).toEqual(['started', 'started', 'started', 'started', 'started']);
    expect(runs.every(({ run, crawl: created }) => created !== null && created.fireTime?.getTime() === run.fireTime.getTime())).toBe(true);
    const [row] = await world.worker.context.db.db.select().from(schedules).where(eq(schedules.id, schedule.id));
    expect(row?.lastFiredAt?.toISOString()).toBe('2030-01-01T00:00:20.000Z');
    // The scheduler's own writes leave updated_at alone: it means "the definition changed".
    expect(row?.updatedAt.getTime()).toBe(schedule.updatedAt.getTime());
  });

  it('drops ticks of a definition that has been edited away, and keeps ticks both definitions share', async () => {
    const schedule = await world.createSchedule({ name: 'edited', cron: '*/2 * * * * *', timezone: 'UTC', crawl, overlap: 'queue' });
    await world.worker.context.db.db.update(schedules).set({ cron: '*/3 * * * * *' }).where(eq(schedules.id, schedule.id));
    const db = world.worker.context.db.db;
    const stale = await fireSchedule(db, { scheduleId: schedule.id, fireTime: new Date('2030-01-01T00:00:04Z'), trigger: 'tick' });
    expect(stale).toMatchObject({ fired: false, reason: 'changed' });
    const shared = await fireSchedule(db, { scheduleId: schedule.id, fireTime: new Date('2030-01-01T00:00:06Z'), trigger: 'tick' });
    expect(shared).toMatchObject({ fired: true, run: { outcome: 'started' } });
  });

  it('refuses ticks of a disabled schedule but runs it by hand', async () => {
    const schedule = await world.createSchedule({ name: 'off', cron: '* * * * * *', timezone: 'UTC', crawl, enabled: false });
    const db = world.worker.context.db.db;
    expect(await fireSchedule(db, { scheduleId: schedule.id, fireTime: new Date('2030-01-01T00:00:01Z'), trigger: 'tick' })).toMatchObject({
      fired: false,
      reason: 'disabled',
    });
    expect(await fireSchedule(db, { scheduleId: schedule.id, fireTime: new Date('2030-01-01T00:00:01Z'), trigger: 'manual' })).toMatchObject({
      fired: true,
      run: { outcome: 'started', reason: 'manual run' },
    });
    expect(await fireSchedule(db, { scheduleId: '00000000-0000-4000-8000-000000000000', fireTime: new Date(), trigger: 'tick' })).toMatchObject({
      fired: false,
      reason: 'not_found',
    });
  });

  it('with overlap queue, holds later ticks without a crawl and starts them one at a time, oldest first', async () => {
    const schedule = await world.createSchedule({ name: 'queue', cron: '* * * * * *', timezone: 'UTC', crawl, overlap: 'queue' });
    const db = world.worker.context.db.db;
    const tick = (second: number) => fireSchedule(db, { scheduleId: schedule.id, fireTime: new Date(Date.UTC(2030, 0, 1, 0, 0, second)), trigger: 'tick' });
    const first = await tick(1);
    expect(first).toMatchObject({ fired: true, run: { outcome: 'started' } });
    expect(await tick(2)).toMatchObject({ fired: true, run: { outcome: 'queued', crawlId: null }, crawl: null });
    expect(await tick(3)).toMatchObject({ fired: true, run: { outcome: 'queued', crawlId: null }, crawl: null });

    // Nothing starts while the first crawl is active.
    expect(await startWaitingRun(db, schedule.id)).toBeNull();
    await db.update(crawls).set({ status: 'completed' }).where(eq(crawls.scheduleId, schedule.id));
    const second = await startWaitingRun(db, schedule.id);
    expect(second?.run.fireTime.toISOString()).toBe('2030-01-01T00:00:02.000Z');
    expect(second?.crawl?.fireTime?.toISOString()).toBe('2030-01-01T00:00:02.000Z');
    // The second one is now active, so the third keeps waiting.
    expect(await startWaitingRun(db, schedule.id)).toBeNull();
    const runs = await world.runs(schedule.id);
    expect(runs.map(({ run }) => [run.outcome, run.crawlId !== null])).toEqual([
      ['started', true],
      ['queued', true],
      ['queued', false],
    ]);
  });

  it('with overlap queue, holds at most MAX_WAITING_RUNS and skips further ticks with the reason', async () => {
    const schedule = await world.createSchedule({ name: 'backlog', cron: '* * * * * *', timezone: 'UTC', crawl, overlap: 'queue' });
    const db = world.worker.context.db.db;
    const start = Date.UTC(2030, 0, 2);
    const tick = (second: number) => fireSchedule(db, { scheduleId: schedule.id, fireTime: new Date(start + second * 1_000), trigger: 'tick' });
    expect(await tick(0)).toMatchObject({ fired: true, run: { outcome: 'started' } });
    for (let second = 1; second <= MAX_WAITING_RUNS; second += 1) expect(await tick(second)).toMatchObject({ fired: true, run: { outcome: 'queued' } });
    const overflow = await tick(MAX_WAITING_RUNS + 1);
    expect(overflow).toMatchObject({ fired: true, crawl: null, run: { outcome: 'skipped', reason: expect.stringContaining(`${MAX_WAITING_RUNS} runs are already waiting their turn`) } });

    // Once a waiting run gets its turn there is room again.
    await db.update(crawls).set({ status: 'completed' }).where(eq(crawls.scheduleId, schedule.id));
    expect((await startWaitingRun(db, schedule.id))?.crawl).not.toBeNull();
    expect(await tick(MAX_WAITING_RUNS + 2)).toMatchObject({ fired: true, run: { outcome: 'queued' } });
  });

  it('with overlap skip, records a skipped tick naming the crawl still active', async () => {
    const schedule = await world.createSchedule({ name: 'skip', cron: '* * * * * *', timezone: 'UTC', crawl });
    const db = world.worker.context.db.db;
    const first = await fireSchedule(db, { scheduleId: schedule.id, fireTime: new Date('2030-01-01T00:00:01Z'), trigger: 'tick' });
    const crawlId = first.fired ? first.crawl?.id : undefined;
    expect(crawlId).toBeDefined();
    const second = await fireSchedule(db, { scheduleId: schedule.id, fireTime: new Date('2030-01-01T00:00:02Z'), trigger: 'tick' });
    expect(second).toMatchObject({ fired: true, crawl: null, run: { outcome: 'skipped', crawlId: null, reason: expect.stringContaining(`${crawlId} is still queued`) } });
  });
});
