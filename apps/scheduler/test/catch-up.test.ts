import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSchedulerWorld, type SchedulerWorld } from './harness';

const cron = '*/2 * * * * *';
const crawl = { kind: 'hashtag', target: { name: 'tag_30' }, maxPages: 1 } as const;
const CATCH_UP_REASON = 'catch-up of a tick missed while no scheduler ran';

describe('catch-up after downtime', () => {
  let world: SchedulerWorld;
  beforeAll(async () => {
    world = await startSchedulerWorld();
  });
  afterAll(async () => {
    await world.close();
  });

  /**
   * Runs the schedule on one replica through one tick, stops it, lets `ticksMissed` ticks pass with
   * no replica running, restarts three replicas together and runs them through one more tick.
   * Returns the last tick before the downtime, the restart time, and the replicas.
   */
  async function downtime(scheduleId: string, ticksMissed: number) {
    const first = world.startReplica();
    await first.ready;
    await world.advance(2_000);
    await world.finishCrawls(scheduleId);
    await first.stop();
    const lastBefore = (await world.runs(scheduleId)).at(-1)?.run.fireTime.getTime() ?? 0;

    await world.advance(ticksMissed * 2_000);
    const restartedAt = world.clock.now().getTime();
    const replicas = [world.startReplica(), world.startReplica(), world.startReplica()];
    // `ready` settles once the catch-ups are fired; the clock stands still meanwhile.
    await Promise.all(replicas.map((replica) => replica.ready));
    await world.finishCrawls(scheduleId);
    await world.advance(2_000);
    await Promise.all(replicas.map((replica) => replica.stop()));
    return { lastBefore, restartedAt, replicas };
  }

  it('runs exactly one catch-up run, for the latest missed tick, after the scheduler was stopped across 3 ticks', async () => {
    const schedule = await world.createSchedule({ name: 'catch up', cron, timezone: 'UTC', crawl });
    const { lastBefore, restartedAt, replicas } = await downtime(schedule.id, 3);
    // Ticks at lastBefore + 2, 4 and 6 s were missed; the restart is half a second after the last.
    expect(restartedAt - lastBefore).toBe(6_500);
    const after = (await world.runs(schedule.id)).filter(({ run }) => run.fireTime.getTime() > lastBefore);
    expect(after.map(({ run }) => [run.fireTime.getTime() - lastBefore, run.outcome, run.reason])).toEqual([
      [6_000, 'started', CATCH_UP_REASON],
      // The first live tick after the restart, as usual.
      [8_000, 'started', null],
    ]);
    expect(after.every(({ run, crawl: created }) => created?.fireTime?.getTime() === run.fireTime.getTime())).toBe(true);
    // The three replicas computed the same catch-up tick; the claim let one through.
    const counts = replicas.map((replica) => replica.counts());
    expect(counts.reduce((sum, count) => sum + count.fired, 0)).toBe(2);
    expect(counts.reduce((sum, count) => sum + count.already_claimed, 0)).toBe(4);
  });

  it('runs nothing for the missed ticks with catchUp none', async () => {
    const schedule = await world.createSchedule({ name: 'no catch up', cron, timezone: 'UTC', crawl, catchUp: 'none' });
    const { lastBefore } = await downtime(schedule.id, 3);
    const after = (await world.runs(schedule.id)).filter(({ run }) => run.fireTime.getTime() > lastBefore);
    expect(after.map(({ run }) => [run.fireTime.getTime() - lastBefore, run.reason])).toEqual([[8_000, null]]);
  });
});
