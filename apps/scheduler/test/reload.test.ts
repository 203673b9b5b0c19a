import { apiEnvSchema, buildServer } from '@pubcrawl/api';
import { parseEnv } from '@pubcrawl/config';
import { crawls } from '@pubcrawl/db';
import { createLogger } from '@pubcrawl/logger';
import { compileCron } from '@pubcrawl/schemas';
import { waitFor } from '@pubcrawl/testing';
import { and, gt, isNull } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sleep, sleepUntilPhase, startSchedulerWorld, type SchedulerWorld } from './harness';

type Api = Awaited<ReturnType<typeof buildServer>>;
const API_KEY = 'scheduler-test-key';
const auth = { authorization: `Bearer ${API_KEY}` };
const crawl = { kind: 'hashtag', target: { name: 'tag_30' }, maxPages: 1 } as const;
/** The promise; the default poll (2 s) is what is under test, so it is not shortened here. */
const PICKUP_MS = 5_000;

/** Schedules are changed through the real API while one scheduler, never restarted, runs them. */
describe('a running scheduler', () => {
  let world: SchedulerWorld;
  let api: Api;
  beforeAll(async () => {
    world = await startSchedulerWorld();
    world.worker.startWorkers();
    const { context } = world.worker;
    api = await buildServer({
      // Every-second crons keep the test short; the API refuses them at its default floor of 60 s.
      env: parseEnv(apiEnvSchema, { ...world.worker.env, API_KEYS: API_KEY, MIN_SCHEDULE_INTERVAL_S: '1' }),
      logger: createLogger({ name: 'api-test', level: 'silent', pretty: false }),
      db: context.db,
      redis: context.redis,
      queues: context.queues,
    });
    await api.ready();
  });
  afterAll(async () => {
    await api.close();
    await world.close();
  });

  const runsAfter = async (scheduleId: string, after: number) =>
    (await world.runs(scheduleId)).filter(({ run }) => run.fireTime.getTime() > after).map(({ run }) => run.fireTime);

  it('picks up a new schedule, an edited cron and a disable within 5 s, without a restart', async () => {
    const scheduler = world.startReplica();
    await scheduler.ready;

    // Created: a schedule that would not fire for months, so no run is expected yet.
    const created = await api.inject({ method: 'POST', url: '/v1/schedules', headers: auth, payload: { name: 'tag_30', cron: '0 0 1 1 *', timezone: 'UTC', crawl } });
    expect(created.statusCode).toBe(201);
    const id: string = created.json().id;
    await waitFor(() => scheduler.registered().includes(id), { timeoutMs: PICKUP_MS });

    // Edited to every 3 seconds: the first run comes within 5 s of the edit.
    await sleepUntilPhase(1_000, 100);
    const editedAt = Date.now();
    const edited = await api.inject({ method: 'PATCH', url: `/v1/schedules/${id}`, headers: auth, payload: { cron: '*/3 * * * * *' } });
    expect(edited.statusCode).toBe(200);
    const [first] = await waitFor(async () => {
      const runs = await runsAfter(id, 0);
      return runs.length > 0 ? runs : undefined;
    }, { timeoutMs: PICKUP_MS + 1_000 });
    expect(first).toBeDefined();
    expect((first?.getTime() ?? Infinity) - editedAt).toBeLessThanOrEqual(PICKUP_MS);

    // Edited again, to every 2 seconds: only the new definition's times fire from then on.
    const reEditedAt = Date.now();
    await api.inject({ method: 'PATCH', url: `/v1/schedules/${id}`, headers: auth, payload: { cron: '*/2 * * * * *' } });
    await sleep(PICKUP_MS + 1_000);
    const afterReEdit = await runsAfter(id, reEditedAt);
    const everyTwo = compileCron('*/2 * * * * *', 'UTC');
    expect(afterReEdit.length).toBeGreaterThanOrEqual(2);
    // Even a replica that has not reloaded yet cannot fire the old definition's times: every run
    // after the edit is a tick of the new one.
    expect(afterReEdit.every((fireTime) => everyTwo.matches(fireTime))).toBe(true);
    expect(afterReEdit.some((fireTime) => fireTime.getTime() <= reEditedAt + PICKUP_MS)).toBe(true);

    // Disabled: no run after the disable commits, and the task is gone within 5 s.
    const disabled = await api.inject({ method: 'PATCH', url: `/v1/schedules/${id}`, headers: auth, payload: { enabled: false } });
    expect(disabled.statusCode).toBe(200);
    const disabledAt = Date.now();
    await waitFor(() => !scheduler.registered().includes(id), { timeoutMs: PICKUP_MS });
    await sleep(2_000);
    // A tick that was already being claimed when the disable committed may land; nothing later.
    expect(await runsAfter(id, disabledAt + 1_000)).toEqual([]);

    // Enabled again, then deleted: runs resume, then stop for good (the runs go with the schedule).
    await api.inject({ method: 'PATCH', url: `/v1/schedules/${id}`, headers: auth, payload: { enabled: true } });
    await waitFor(async () => (await runsAfter(id, disabledAt + 1_000)).length > 0, { timeoutMs: PICKUP_MS + 2_000 });
    const deleted = await api.inject({ method: 'DELETE', url: `/v1/schedules/${id}`, headers: auth });
    expect(deleted.statusCode).toBe(204);
    const deletedAt = Date.now();
    await waitFor(() => !scheduler.registered().includes(id), { timeoutMs: PICKUP_MS });
    await sleep(1_500);
    const orphanCrawls = await world.worker.context.db.db
      .select({ id: crawls.id })
      .from(crawls)
      .where(and(isNull(crawls.scheduleId), gt(crawls.fireTime, new Date(deletedAt + 1_000))));
    expect(orphanCrawls).toEqual([]);
    expect(scheduler.counts().failed).toBe(0);
  });

  it('lists what the scheduler fired through GET /v1/schedules/:id/runs', async () => {
    const scheduler = world.startReplica();
    await scheduler.ready;
    const created = await api.inject({ method: 'POST', url: '/v1/schedules', headers: auth, payload: { name: 'listed', cron: '* * * * * *', timezone: 'UTC', crawl } });
    const id: string = created.json().id;
    const page = await waitFor(async () => {
      const response = await api.inject({ method: 'GET', url: `/v1/schedules/${id}/runs`, headers: auth });
      const body = response.json();
      return body.items.length >= 3 ? body : undefined;
    }, { timeoutMs: PICKUP_MS + 3_000 });
    const fireTimes = page.items.map((item: { fireTime: string }) => item.fireTime);
    expect([...fireTimes].sort().reverse()).toEqual(fireTimes);
    for (const item of page.items) {
      if (item.outcome === 'started') expect(item.crawl).toMatchObject({ scheduleId: id, fireTime: item.fireTime });
      else expect(item).toMatchObject({ outcome: 'skipped', crawl: null, reason: expect.any(String) });
    }
    await api.inject({ method: 'PATCH', url: `/v1/schedules/${id}`, headers: auth, payload: { enabled: false } });
    await scheduler.stop();
  });
});
