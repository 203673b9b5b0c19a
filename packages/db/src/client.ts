import { drizzle, type NodePgDatabase } from 'drizzle-orm/node-postgres';
import pg from 'pg';
import * as schema from './schema';

export type Database = NodePgDatabase<typeof schema>;
/** A transaction handle; queries that must run inside one take this instead of `Database`. */
export type Transaction = Parameters<Parameters<Database['transaction']>[0]>[0];
export type Executor = Database | Transaction;

export interface DbHandle {
  db: Database;
  pool: pg.Pool;
  close(): Promise<void>;
}

export interface CreateDbOptions {
  /** Pool size. Default 10: enough for a worker's concurrency without exhausting Postgres. */
  max?: number;
  applicationName?: string;
}

/** timestamptz's type oid, fixed in pg_type since Postgres 7 (pg.types.builtins.TIMESTAMPTZ). */
const TIMESTAMPTZ = 1184;
const parseTimestamptz = pg.types.getTypeParser(TIMESTAMPTZ, 'text') as (value: string) => unknown;

interface TypeParsers {
  getTypeParser(oid: number, format?: string): unknown;
}

/**
 * drizzle's node-postgres driver hands every query a type config that keeps timestamptz as text,
 * and its column then reads that text with `new Date(text)`. Postgres writes `0001-01-01
 * 00:00:00+00`, which is not ISO 8601 (a space, a two-digit offset), so V8 falls back to its legacy
 * parser and its two-digit-year rule: years 1-49 came back as 2001-2049 and 50-99 as 1950-1999. pg's
 * own parser (postgres-date) reads every year, BC and second-precision historical offsets included,
 * and drizzle keeps a Date it is given. So timestamptz uses pg's parser; everything else is
 * drizzle's. Not done for `timestamp` without time zone: pg reads that as local time, and no column
 * of ours has that type.
 */
function withExactTimestamps(config: unknown): unknown {
  if (typeof config !== 'object' || config === null || 'submit' in config || !('types' in config)) return config;
  const types = (config as { types?: TypeParsers }).types;
  if (types === undefined) return config;
  return {
    ...config,
    types: {
      getTypeParser: (oid: number, format?: string): unknown => (oid === TIMESTAMPTZ && format !== 'binary' ? parseTimestamptz : types.getTypeParser(oid, format)),
    },
  };
}

// Only ever called with a client as `this` (below), so taking it off the prototype is safe.
// eslint-disable-next-line @typescript-eslint/unbound-method
const baseQuery = pg.Client.prototype.query as (this: pg.Client, ...args: unknown[]) => unknown;

/** A pg client whose queries read timestamptz exactly, whatever type config the caller passes. */
class ExactTimestampClient extends pg.Client {
  override query(config: unknown, ...rest: unknown[]): never {
    return baseQuery.call(this, withExactTimestamps(config), ...rest) as never;
  }
}

export function createDb(url: string, options: CreateDbOptions = {}): DbHandle {
  const pool = new pg.Pool({
    // pg-pool's documented hook for the client class; every pooled client, in a transaction or not.
    Client: ExactTimestampClient,
    connectionString: url,
    max: options.max ?? 10,
    // A startup parameter, never a SET: PgBouncer tracks application_name itself (as it does
    // client_encoding, DateStyle and TimeZone) and sets it on whichever server connection it lends
    // this client. Session state set any other way (SET, set_config(..., false), `options=-c ...`)
    // stays on a server connection that transaction pooling hands to other clients; anything a
    // query needs for longer than a statement belongs in a transaction, with SET LOCAL.
    application_name: options.applicationName ?? 'pubcrawl',
    // A dead database must surface as an error, not as a request that waits forever.
    connectionTimeoutMillis: 5_000,
  });
  // An idle client's socket error would otherwise crash the process; the next query reconnects.
  pool.on('error', () => undefined);
  const db = drizzle(pool, { schema });
  let closed = false;
  return {
    db,
    pool,
    async close() {
      if (closed) return;
      closed = true;
      await pool.end();
    },
  };
}
