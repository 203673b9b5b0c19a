import { posts } from '@pubcrawl/db';
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApi, type TestApi } from './harness';
import { createAccount, videoBody } from './publishing-fixtures';

describe('timestamps in years 0001 to 9999', () => {
  let api: TestApi;
  let accountId: string;
  beforeAll(async () => {
    api = await startTestApi();
    accountId = (await createAccount(api)).id;
  });
  afterAll(async () => {
    await api.close();
  });

  const create = (scheduledAt: string) => api.app.inject({ method: 'POST', url: '/v1/posts', headers: api.auth, payload: videoBody(accountId, { scheduledAt }) });
  const read = async (id: string) => (await api.app.inject({ method: 'GET', url: `/v1/posts/${id}`, headers: api.auth })).json<{ scheduledAt: string }>();

  it('reads scheduledAt 0001-01-01T00:00:00Z back as year 0001, not 2001', async () => {
    const created = await create('0001-01-01T00:00:00Z');
    expect(created.statusCode).toBe(202);
    const { id, scheduledAt } = created.json<{ id: string; scheduledAt: string }>();
    expect(scheduledAt).toBe('0001-01-01T00:00:00.000Z');
    expect((await read(id)).scheduledAt).toBe('0001-01-01T00:00:00.000Z');
  });

  it('reads 9999-12-31T23:59:59.999Z back exactly', async () => {
    // The API refuses a scheduledAt more than a year ahead, so the row is moved there directly.
    const created = await create('2001-01-01T00:00:00Z');
    const { id } = created.json<{ id: string }>();
    await api.db.db.update(posts).set({ scheduledAt: new Date('9999-12-31T23:59:59.999Z') }).where(eq(posts.id, id));
    expect((await read(id)).scheduledAt).toBe('9999-12-31T23:59:59.999Z');
  });

  it('refuses a time before 0001 or after 9999 in UTC, naming the field', async () => {
    for (const scheduledAt of ['0000-12-31T23:59:59Z', '0001-01-01T00:30:00+01:00']) {
      const response = await create(scheduledAt);
      expect(response.statusCode, scheduledAt).toBe(400);
      expect(response.json(), scheduledAt).toMatchObject({ error: { code: 'invalid_input', fields: { scheduledAt: expect.stringMatching(/0001-9999/) } } });
    }
  });
});
