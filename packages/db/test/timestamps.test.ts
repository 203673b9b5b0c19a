import { sql } from 'drizzle-orm';
import { integer, pgTable, timestamp } from 'drizzle-orm/pg-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDb, type DbHandle } from '../src/client';

const serverUrl = process.env.TEST_DATABASE_URL || process.env.DATABASE_URL || 'postgres://postgres@127.0.0.1:5432/postgres';

/** A temporary table (dropped with its transaction), typed like every timestamp column of ours. */
const stamps = pgTable('stamps', {
  id: integer('id').primaryKey(),
  at: timestamp('at', { withTimezone: true, mode: 'date' }).notNull(),
});

const INSTANTS = [
  '0001-01-01T00:00:00.000Z',
  '0049-12-31T23:59:59.999Z',
  '0050-01-01T00:00:00.000Z',
  '0099-06-15T12:30:00.250Z',
  '0999-01-01T00:00:00.000Z',
  '1970-01-01T00:00:00.000Z',
  '2026-03-08T07:00:00.001Z',
  '9999-12-31T23:59:59.999Z',
];

describe('timestamps read back from Postgres', () => {
  let handle: DbHandle;
  beforeAll(() => {
    handle = createDb(serverUrl, { max: 2 });
  });
  afterAll(async () => {
    await handle.close();
  });

  it('round-trip exactly for years 0001 to 9999 through drizzle columns, in and out of transactions', async () => {
    const read = await handle.db.transaction(async (tx) => {
      await tx.execute(sql`create temp table stamps (id integer primary key, at timestamptz not null) on commit drop`);
      await tx.insert(stamps).values(INSTANTS.map((iso, id) => ({ id, at: new Date(iso) })));
      return tx.select().from(stamps).orderBy(stamps.id);
    });
    expect(read.map((row) => row.at.toISOString())).toEqual(INSTANTS);
    // Outside a transaction the pool's own client runs the query.
    const [row] = await handle.db.select({ at: sql`'0001-01-01T00:00:00Z'::timestamptz`.mapWith(stamps.at) }).from(sql`(select 1) as one`);
    expect(row?.at.toISOString()).toBe('0001-01-01T00:00:00.000Z');
  });

  it('read a raw query the same way, whatever the session time zone', async () => {
    const result = await handle.db.transaction(async (tx) => {
      // Amsterdam kept local mean time until 1937: Postgres prints the offset as +00:19:32.
      await tx.execute(sql`set local time zone 'Europe/Amsterdam'`);
      return tx.execute<{ early: Date; old: Date }>(sql`select '0001-01-01T00:00:00Z'::timestamptz as early, '1900-01-01T00:00:00Z'::timestamptz as old`);
    });
    expect(result.rows[0]?.early.toISOString()).toBe('0001-01-01T00:00:00.000Z');
    expect(result.rows[0]?.old.toISOString()).toBe('1900-01-01T00:00:00.000Z');
  });
});
