import type pg from 'pg';

/**
 * The readiness probe's question to Postgres: can a pooled connection run a statement? It goes
 * through the handle's pool, as every query does, so a pool that cannot connect (or is exhausted)
 * reports not ready. Rejects with the driver's error.
 */
export async function pingDatabase(pool: pg.Pool): Promise<void> {
  await pool.query('select 1');
}
