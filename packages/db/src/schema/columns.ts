import { sql } from 'drizzle-orm';
import { timestamp, uuid } from 'drizzle-orm/pg-core';

export const id = () => uuid('id').primaryKey().default(sql`gen_random_uuid()`);
export const createdAt = () => timestamp('created_at', { withTimezone: true, mode: 'date' }).notNull().defaultNow();
/**
 * created_at of a table that a list pages through by (created_at, id) (queries/pagination.ts). Its
 * cursor carries a JS Date, which holds milliseconds, while a bare timestamptz holds microseconds:
 * rows created at .123456 and .123789 both read back as .123, and a page ending on the later one
 * resumed at `created_at < .123`, past the earlier. At precision 3 the column holds exactly what the
 * cursor can say; Postgres rounds on assignment, `defaultNow()` and explicit values alike. Rows that
 * round to one millisecond tie, and the id orders them.
 */
export const keysetCreatedAt = () => timestamp('created_at', { withTimezone: true, mode: 'date', precision: 3 }).notNull().defaultNow();
export const updatedAt = () =>
  timestamp('updated_at', { withTimezone: true, mode: 'date' })
    .notNull()
    .defaultNow()
    .$onUpdate(() => new Date());
export const timestampTz = (name: string) => timestamp(name, { withTimezone: true, mode: 'date' });
