import { accounts, createDb, type DbHandle } from '@pubcrawl/db';
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testDatabase, testRedis, type TestDatabase, type TestRedis } from '../src/index';

/**
 * Two test files (isolation-a and isolation-b) run this at the same time, writing the very same row
 * and key. With shared storage one of them would hit the unique constraint or read the other's value.
 */
export function describeIsolation(me: string): void {
  describe(`test isolation (${me})`, () => {
    let database: TestDatabase;
    let redis: TestRedis;
    let handle: DbHandle;

    beforeAll(async () => {
      database = await testDatabase();
      redis = await testRedis();
      handle = createDb(database.url, { max: 2 });
    });

    afterAll(async () => {
      await handle.close();
      await redis.cleanup();
      await database.cleanup();
    });

    it('writes the same row and key as its twin without colliding', async () => {
      for (let round = 0; round < 10; round += 1) {
        await handle.db.delete(accounts).where(eq(accounts.externalId, 'shared-external-id'));
        await handle.db.insert(accounts).values({ label: me, provider: 'posting', externalId: 'shared-external-id' });
        await redis.client.set(`${redis.prefix}:shared-key`, me);
        await new Promise((resolve) => setTimeout(resolve, 50));
        const rows = await handle.db.select().from(accounts).where(eq(accounts.externalId, 'shared-external-id'));
        expect(rows.map((row) => row.label)).toEqual([me]);
        expect(await redis.client.get(`${redis.prefix}:shared-key`)).toBe(me);
      }
    });

    it('gets a database and prefix of its own', () => {
      expect(database.name).toMatch(/^pubcrawl_test_/);
      expect(redis.prefix).toMatch(/^\{test-[0-9a-f-]{36}\}$/);
    });
  });
}
