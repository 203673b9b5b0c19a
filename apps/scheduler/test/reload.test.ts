import { apiEnvSchema, buildServer, createApiPostingClient, createApiTikApi, createApiTikTok, type ApiTikApi, type ApiTikTok } from '@pubcrawl/api';
import { parseEnv } from '@pubcrawl/config';
import { crawls } from '@pubcrawl/db';
import { createLogger } from '@pubcrawl/logger';
import { compileCron } from '@pubcrawl/scheduling';
import { and, gt, isNull } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSchedulerWorld, type SchedulerWorld } from './harness';

type Api = Awaited<ReturnType<typeof buildServer>>;
const API_KEY = 'scheduler-test-key';
const auth = { authorization: `Bearer ${API_KEY}` };
const crawl = { kind: 'hashtag', target: { name: 'tag_30' }, maxPages: 1 } as const;
/** The default poll, under test: every change must apply at the first poll after it (the issue promises 5 s). */
const POLL_MS = 2_000;
const CATCH_UP_REASON = 'catch-up of a tick missed while no scheduler ran';

/**
 * Schedules are changed through the real API while one scheduler, never restarted, runs them. The
 * API stamps `updated_at` from the real clock, which the replicas' clock runs ahead of, so each
 * reload also catches up the latest tick of the new definition: what a tick falling between an edit
 * and its reload gets in production.
 */
describe('a running scheduler', () => {
  let world: SchedulerWorld;
  let api: Api;
  let posting: ReturnType<typeof createApiPostingClient> | undefined;
  let tikapi: ApiTikApi | undefined;
  let tiktok: ApiTikTok | undefined;
  beforeAll(async () => {
    world = await startSchedulerWorld();
    const { context } = world.worker;
    // Every-second crons keep the test short; the API refuses them at its default floor of 60 s.
    const env = parseEnv(apiEnvSchema, { ...world.worker.env, API_KEYS: API_KEY, MIN_SCHEDULE_INTERVAL_S: '1' });
    posting = createApiPostingClient(env);
    tikapi = createApiTikApi(env, context.redis);
    tiktok = createApiTikTok(env, context.db);
    api = await buildServer({
      env,
      logger: createLogger({ name: 'api-test', level: 'silent', pretty: false }),
      db: context.db,
      redis: context.redis,
      queues: context.queues,
      posting,
      tikapi,
      tiktok,
    });
    await api.ready();
  });
  afterAll(async () => {
    await api.close();
    await posting?.close();
    await tikapi?.close();
    await tiktok?.close();
    await world.close();
  });

  /** The schedule's runs after `after`, as [ms after `after`, catch-up or tick] (a skipped catch-up says so too). */
  const runsAfter = async (scheduleId: string, after: number) =>
    (await world.runs(scheduleId))
      .filter(({ run }) => run.fireTime.getTime() > after)
      .map(({ run }) => [run.fireTime.getTime() - after, run.reason?.startsWith('catch-up') ? 'catch-up' : 'tick']);

  it('picks up a new schedule, an edited cron and a disable at the next poll, without a restart', async () => {
    const scheduler = world.startReplica();
    await scheduler.ready;
    // The clock is on a whole minute + 500 ms, and polls come every 2 s from there.
    const minute = world.clock.now().getTime() - 500;

    // Created: a schedule that would not fire for months. Registered at the next poll, not before.
    const created = await api.inject({ method: 'POST', url: '/v1/schedules', headers: auth, payload: { name: 'tag_30', cron: '0 0 1 1 *', timezone: 'UTC', crawl } });
    expect(created.statusCode).toBe(201);
    const { id } = created.json<{ id: string }>();
    await world.advance(POLL_MS - 1);
    expect(scheduler.registered()).not.toContain(id);
    await world.advance(1);
    expect(scheduler.registered()).toContain(id);
    expect(await runsAfter(id, 0)).toEqual([]);

    // Edited to every 3 seconds at +2.5: the poll at +4.5 reloads it and catches up +3, then +6 ticks.
    const edited = await api.inject({ method: 'PATCH', url: `/v1/schedules/${id}`, headers: auth, payload: { cron: '*/3 * * * * *' } });
    expect(edited.statusCode).toBe(200);
    await world.advance(2 * POLL_MS);
    await world.finishCrawls(id);
    expect(await runsAfter(id, minute)).toEqual([
      [3_000, 'catch-up'],
      [6_000, 'tick'],
    ]);

    // Edited again at +8.5, just after a poll, to every 2 seconds. The replica still runs the
    // every-3 task until the poll at +10.5: its +9 tick is not a tick of the new definition and is
    // dropped as changed. The reload catches up +10, then +12 ticks.
    await world.advance(POLL_MS);
    await api.inject({ method: 'PATCH', url: `/v1/schedules/${id}`, headers: auth, payload: { cron: '*/2 * * * * *' } });
    await world.advance(2 * POLL_MS);
    expect(scheduler.counts().changed).toBe(1);
    const afterReEdit = (await world.runs(id)).filter(({ run }) => run.fireTime.getTime() > minute + 8_500);
    expect(afterReEdit.map(({ run }) => run.fireTime.getTime() - minute)).toEqual([10_000, 12_000]);
    const everyTwo = compileCron('*/2 * * * * *', 'UTC');
    expect(afterReEdit.every(({ run }) => everyTwo.matches(run.fireTime))).toBe(true);

    // Disabled at +12.5: the +14 tick, before the poll at +14.5, is refused; the task is gone then.
    const disabled = await api.inject({ method: 'PATCH', url: `/v1/schedules/${id}`, headers: auth, payload: { enabled: false } });
    expect(disabled.statusCode).toBe(200);
    await world.advance(POLL_MS);
    expect(scheduler.registered()).not.toContain(id);
    expect(scheduler.counts().disabled).toBe(1);
    await world.advance(2 * POLL_MS);
    expect(await runsAfter(id, minute + 12_000)).toEqual([]);

    // Enabled again at +18.5: the poll at +20.5 registers it and catches up +20, then +22 ticks.
    await api.inject({ method: 'PATCH', url: `/v1/schedules/${id}`, headers: auth, payload: { enabled: true } });
    await world.advance(2 * POLL_MS);
    expect(await runsAfter(id, minute + 18_000)).toEqual([
      [2_000, 'catch-up'],
      [4_000, 'tick'],
    ]);

    // Deleted at +22.5 (the runs go with the schedule): the +24 tick finds no schedule, the poll at
    // +24.5 drops the task, and no crawl appears after the delete.
    const deleted = await api.inject({ method: 'DELETE', url: `/v1/schedules/${id}`, headers: auth });
    expect(deleted.statusCode).toBe(204);
    await world.advance(2 * POLL_MS);
    expect(scheduler.registered()).not.toContain(id);
    expect(scheduler.counts().not_found).toBe(1);
    const orphanCrawls = await world.worker.context.db.db
      .select({ id: crawls.id })
      .from(crawls)
      .where(and(isNull(crawls.scheduleId), gt(crawls.fireTime, new Date(minute + 22_500))));
    expect(orphanCrawls).toEqual([]);
    expect(scheduler.counts().failed).toBe(0);
    await scheduler.stop();
  });

  it('lists what the scheduler fired through GET /v1/schedules/:id/runs', async () => {
    const scheduler = world.startReplica();
    await scheduler.ready;
    const startedAt = world.clock.now().getTime();
    const created = await api.inject({ method: 'POST', url: '/v1/schedules', headers: auth, payload: { name: 'listed', cron: '* * * * * *', timezone: 'UTC', crawl } });
    const { id } = created.json<{ id: string }>();
    // The poll at +2 registers it and catches up +1.5; then the ticks at +2.5 and +3.5.
    await world.advance(POLL_MS + 1_500);
    await scheduler.stop();
    const response = await api.inject({ method: 'GET', url: `/v1/schedules/${id}/runs`, headers: auth });
    const { items } = response.json<{ items: Array<{ fireTime: string; outcome: string; reason: string | null; crawl: unknown }> }>();
    expect(items.map((item) => Date.parse(item.fireTime) - startedAt)).toEqual([3_500, 2_500, 1_500]);
    expect(items.map((item) => item.outcome)).toEqual(['skipped', 'skipped', 'started']);
    expect(items[2]).toMatchObject({ reason: CATCH_UP_REASON, crawl: { scheduleId: id, fireTime: items[2]?.fireTime } });
    for (const item of items.slice(0, 2)) expect(item).toMatchObject({ crawl: null, reason: expect.stringContaining('is still queued') as string });
  });
});
