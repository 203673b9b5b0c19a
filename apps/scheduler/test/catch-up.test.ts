import { compileCron } from '@pubcrawl/schemas';
import { waitFor } from '@pubcrawl/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sleep, sleepUntilPhase, startSchedulerWorld, type SchedulerWorld } from './harness';

const cron = '*/2 * * * * *';
const crawl = { kind: 'hashtag', target: { name: 'tag_30' }, maxPages: 1 } as const;
const CATCH_UP_REASON = 'catch-up of a tick missed while no scheduler ran';

describe('catch-up after downtime', () => {
  let world: SchedulerWorld;
  beforeAll(async () => {
    world = await startSchedulerWorld();
    world.worker.startWorkers();
  });
  afterAll(async () => {
    await world.close();
  });

  /**
   * Runs the schedule on one replica until it has fired, stops it, lets `ticksMissed` ticks pass,
   * and restarts three replicas together just after a tick, so that they are up well before the
   * next one. Returns the ticks missed and the runs for them.
   */
  async function downtime(scheduleId: string, ticksMissed: number) {
    const first = world.startReplica();
    await first.ready;
    await waitFor(async () => (await world.runs(scheduleId)).length >= 1, { timeoutMs: 6_000 });
    await first.stop();
    const runs = await world.runs(scheduleId);
    const lastBefore = runs[runs.length - 1]?.run.fireTime.getTime() ?? 0;

    await sleep(Math.max(0, lastBefore + ticksMissed * 2_000 - Date.now()));
    await sleepUntilPhase(2_000, 200);
    const restartedAt = Date.now();
    const replicas = [world.startReplica(), world.startReplica(), world.startReplica()];
    await Promise.all(replicas.map((replica) => replica.ready));
    const readyAt = Date.now();
    // Registered (and caught up) before the next tick, or that tick would count as missed too.
    expect(readyAt - restartedAt).toBeLessThan(1_700);
    // One live tick after the restart, so we know the replicas are firing again.
    await waitFor(async () => (await world.runs(scheduleId)).some(({ run }) => run.fireTime.getTime() > readyAt), { timeoutMs: 4_000 });
    await Promise.all(replicas.map((replica) => replica.stop()));

    const missed: number[] = [];
    const compiled = compileCron(cron, 'UTC');
    for (let tick = compiled.next(new Date(lastBefore)); tick && tick.getTime() <= restartedAt; tick = compiled.next(tick)) missed.push(tick.getTime());
    const inWindow = (await world.runs(scheduleId)).filter(({ run }) => run.fireTime.getTime() > lastBefore && run.fireTime.getTime() <= restartedAt);
    return { missed, inWindow, restartedAt };
  }

  it('runs exactly one catch-up run, for the latest missed tick, after the scheduler was stopped across 3 ticks', async () => {
    const schedule = await world.createSchedule({ name: 'catch up', cron, timezone: 'UTC', crawl });
    const { missed, inWindow } = await downtime(schedule.id, 3);
    expect(missed.length).toBeGreaterThanOrEqual(3);
    expect(inWindow).toHaveLength(1);
    expect(inWindow[0]?.run).toMatchObject({ outcome: 'started', reason: CATCH_UP_REASON });
    expect(inWindow[0]?.run.fireTime.getTime()).toBe(missed[missed.length - 1]);
    expect(inWindow[0]?.crawl?.fireTime?.getTime()).toBe(missed[missed.length - 1]);
  });

  it('runs nothing for the missed ticks with catchUp none', async () => {
    const schedule = await world.createSchedule({ name: 'no catch up', cron, timezone: 'UTC', crawl, catchUp: 'none' });
    const { missed, inWindow } = await downtime(schedule.id, 3);
    expect(missed.length).toBeGreaterThanOrEqual(3);
    expect(inWindow).toEqual([]);
  });
});
