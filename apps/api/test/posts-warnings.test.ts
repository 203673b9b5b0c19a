import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { estimateSendTime } from '../src/services/post-limits';
import { startTestApi, type TestApi } from './harness';
import { createAccount, videoBody } from './publishing-fixtures';

const MINUTE = 60_000;
const DAY = 24 * 60 * MINUTE;
const LIMITS = { perMinute: 6, perDay: 15 };

/** Warnings about the account's limits (the creator-info preflight may add its own). */
const limitWarnings = (warnings: string[] | undefined) => (warnings ?? []).filter((warning) => warning.includes('ACCOUNT_'));

describe('estimateSendTime', () => {
  it('leaves a post alone while both windows have room', () => {
    const ahead = Array.from({ length: 5 }, () => ({ at: 0, sent: false }));
    expect(estimateSendTime(ahead, 0, LIMITS)).toMatchObject({ at: 0, heldBy: null });
  });

  it('moves the 7th and 8th posts of one instant a minute later, counting the pending posts ahead as delayed too', () => {
    const ahead = Array.from({ length: 6 }, () => ({ at: 0, sent: false }));
    expect(estimateSendTime(ahead, 0, LIMITS)).toMatchObject({ at: MINUTE, heldBy: 'minute', inWindow: 6 });
    expect(estimateSendTime([...ahead, { at: 0, sent: false }], 0, LIMITS)).toMatchObject({ at: MINUTE, heldBy: 'minute' });
    const thirteen = Array.from({ length: 12 }, () => ({ at: 0, sent: false }));
    expect(estimateSendTime(thirteen, 0, LIMITS)).toMatchObject({ at: 2 * MINUTE, heldBy: 'minute' });
  });

  it('moves the 16th post of a day until the first of the 15 leaves the 24 h window', () => {
    const ahead = Array.from({ length: 15 }, (_, index) => ({ at: index * 10 * MINUTE, sent: index < 3 }));
    const requested = 15 * 10 * MINUTE;
    expect(estimateSendTime(ahead, requested, LIMITS)).toMatchObject({ at: DAY, heldBy: 'day', inWindow: 15 });
  });

  it('ignores posts due after the requested time', () => {
    const ahead = Array.from({ length: 20 }, () => ({ at: 10 * MINUTE, sent: false }));
    expect(estimateSendTime(ahead, 0, LIMITS)).toMatchObject({ at: 0, heldBy: null });
  });
});

describe('POST /v1/posts warnings and GET waiting', () => {
  let api: TestApi;
  beforeAll(async () => {
    api = await startTestApi({ ACCOUNT_PUBLISH_PER_MINUTE: '6', ACCOUNT_DAILY_POSTS: '15', DUPLICATE_WINDOW_HOURS: '24' });
  });
  afterAll(async () => {
    await api.close();
  });

  async function create(accountId: string, content: string, scheduledAt: string) {
    const response = await api.app.inject({ method: 'POST', url: '/v1/posts', headers: api.auth, payload: videoBody(accountId, { content, scheduledAt }) });
    expect(response.statusCode, response.body).toBe(202);
    return response.json<{ id: string; warnings?: string[] }>();
  }

  it('warns the 7th and 8th of 8 posts for one instant at 6 a minute, saying when they should go out', async () => {
    const account = await createAccount(api);
    const at = new Date(Math.ceil((Date.now() + 3_600_000) / MINUTE) * MINUTE);
    const answers = [];
    for (let index = 0; index < 8; index += 1) answers.push(await create(account.id, `burst ${index}`, at.toISOString()));
    expect(answers.slice(0, 6).map((answer) => limitWarnings(answer.warnings))).toEqual(Array.from({ length: 6 }, () => []));
    const expected = new Date(at.getTime() + MINUTE).toISOString();
    for (const answer of answers.slice(6)) {
      const [warning] = limitWarnings(answer.warnings);
      expect(warning).toContain('6 posts a minute');
      expect(warning).toContain(expected);
    }
  });

  it('warns the 16th post of a rolling day with the daily cap', async () => {
    const account = await createAccount(api);
    const first = Math.ceil((Date.now() + 3_600_000) / MINUTE) * MINUTE;
    const answers = [];
    for (let index = 0; index < 16; index += 1) answers.push(await create(account.id, `daily ${index}`, new Date(first + index * 30 * MINUTE).toISOString()));
    expect(answers.slice(0, 15).every((answer) => limitWarnings(answer.warnings).length === 0)).toBe(true);
    const [warning] = limitWarnings(answers[15]?.warnings);
    expect(warning).toContain('15 posts in 24 h');
    expect(warning).toContain(new Date(first + DAY).toISOString());
  });

  it('shows the worker-set wait on the post and in lists, and null otherwise', async () => {
    const account = await createAccount(api);
    const post = await create(account.id, 'waiting one', new Date(Date.now() + 60_000).toISOString());
    const get = async () => (await api.app.inject({ method: 'GET', url: `/v1/posts/${post.id}`, headers: api.auth })).json<{ waiting: unknown }>();
    expect((await get()).waiting).toBeNull();
    const until = new Date(Date.now() + 45_000);
    await api.db.pool.query('update posts set waiting = $2 where id = $1', [post.id, JSON.stringify({ reason: 'account_quota', until: until.toISOString(), message: '6 a minute' })]);
    const waiting = { reason: 'account_quota', until: until.toISOString(), message: '6 a minute' };
    expect((await get()).waiting).toEqual(waiting);
    const list = (await api.app.inject({ method: 'GET', url: `/v1/posts?accountId=${account.id}`, headers: api.auth })).json<{ items: Array<{ id: string; waiting: unknown }> }>();
    expect(list.items.find((item) => item.id === post.id)?.waiting).toEqual(waiting);
    // A value this version cannot read is shown as no wait rather than failing the read.
    await api.db.pool.query(`update posts set waiting = '{"reason":"new_reason_from_the_future"}' where id = $1`, [post.id]);
    expect((await get()).waiting).toBeNull();
  });
});
