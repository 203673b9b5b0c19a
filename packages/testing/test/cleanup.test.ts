import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { testDatabase, testRedis, testServices, withDatabaseName } from '../src/index';

describe('test fixtures', () => {
  it('leave nothing behind: the database is dropped and the keys are deleted', async () => {
    const database = await testDatabase();
    const redis = await testRedis();
    await redis.client.set(`${redis.prefix}:a`, '1');
    await redis.client.set(`${redis.prefix}:b`, '2');
    const observer = await testRedis();

    await redis.cleanup();
    await database.cleanup();

    const admin = new pg.Client({ connectionString: withDatabaseName(testServices().databaseUrl, 'postgres') });
    await admin.connect();
    try {
      const found = await admin.query('select 1 from pg_database where datname = $1', [database.name]);
      expect(found.rowCount).toBe(0);
    } finally {
      await admin.end();
    }
    expect(await observer.client.keys(`${redis.prefix}*`)).toEqual([]);
    await observer.cleanup();
  });

  it('clones a template that already holds the whole schema', async () => {
    const database = await testDatabase();
    const client = new pg.Client({ connectionString: database.url });
    await client.connect();
    try {
      const tables = await client.query<{ table_name: string }>(
        "select table_name from information_schema.tables where table_schema = 'public' order by table_name",
      );
      expect(tables.rows.map((row) => row.table_name)).toEqual(
        expect.arrayContaining(['accounts', 'posts', 'post_events', 'crawls', 'crawl_checkpoints', 'crawl_items', 'schedules', 'webhook_deliveries']),
      );
    } finally {
      await client.end();
      await database.cleanup();
    }
  });
});
