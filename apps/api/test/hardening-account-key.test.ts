import { accounts } from '@pubcrawl/db';
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApi, type TestApi } from './harness';

/** Keys that can never be sent as the X-ACCOUNT-KEY header, each for a different reason. */
const UNSENDABLE_KEYS: Array<[string, string]> = [
  ['a carriage return and line feed', 'key\r\nX-Injected: 1'],
  ['a bare line feed', 'key\nmore'],
  ['a NUL byte', 'key\u0000more'],
  ['non-ASCII', 'cl\u00e9'],
  ['an emoji', 'key\u{1F511}'],
  ['a space', 'two words'],
  ['a tab', 'key\tmore'],
  ['DEL', 'key\u007f'],
  ['nothing at all', ''],
  ['513 characters', 'k'.repeat(513)],
];

describe('credentials.accountKey', () => {
  let api: TestApi;
  let externalIds = 0;
  beforeAll(async () => {
    api = await startTestApi();
  });
  afterAll(async () => {
    await api.close();
  });

  const createWithKey = (accountKey: string) =>
    api.app.inject({
      method: 'POST',
      url: '/v1/accounts',
      headers: api.auth,
      payload: { label: 'Key test', provider: 'tikapi', externalId: `key_test_${++externalIds}`, credentials: { accountKey } },
    });

  async function accountRows(): Promise<number> {
    return (await api.db.db.select({ id: accounts.id }).from(accounts)).length;
  }

  it.each(UNSENDABLE_KEYS)('refuses a key with %s on POST /v1/accounts with a 400 naming the field, and writes no account', async (_reason, accountKey) => {
    const before = await accountRows();
    const response = await createWithKey(accountKey);
    expect(response.statusCode, response.body).toBe(400);
    expect(response.json()).toMatchObject({ error: { code: 'invalid_input', fields: { 'credentials.accountKey': expect.any(String) } } });
    expect(await accountRows()).toBe(before);
  });

  it('accepts a key of 512 visible ASCII characters, the longest allowed', async () => {
    const key = '!~'.repeat(256);
    const response = await createWithKey(key);
    expect(response.statusCode, response.body).toBe(201);
  });

  it.each(UNSENDABLE_KEYS)('refuses a key with %s on POST /v1/accounts/:id/reauthorize and leaves the stored credentials as they were', async (_reason, accountKey) => {
    const created = await createWithKey('good-key-0123');
    expect(created.statusCode).toBe(201);
    const { id } = created.json<{ id: string }>();
    const [before] = await api.db.db.select().from(accounts).where(eq(accounts.id, id));

    const response = await api.app.inject({ method: 'POST', url: `/v1/accounts/${id}/reauthorize`, headers: api.auth, payload: { credentials: { accountKey } } });

    expect(response.statusCode, response.body).toBe(400);
    expect(response.json()).toMatchObject({ error: { code: 'invalid_input', fields: { 'credentials.accountKey': expect.any(String) } } });
    const [after] = await api.db.db.select().from(accounts).where(eq(accounts.id, id));
    expect(after).toEqual(before);
  });

  it('accepts a 512-character key on reauthorize', async () => {
    const created = await createWithKey('good-key-0123');
    const { id } = created.json<{ id: string }>();
    const response = await api.app.inject({ method: 'POST', url: `/v1/accounts/${id}/reauthorize`, headers: api.auth, payload: { credentials: { accountKey: 'A'.repeat(512) } } });
    expect(response.statusCode, response.body).toBe(200);
  });
});
