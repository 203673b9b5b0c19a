import pg from 'pg';

/**
 * The Postgres server these tests make their own databases on. packages/db cannot use
 * @pubcrawl/testing (which depends on it), so its tests name databases on the server directly.
 */
export const serverUrl = process.env.TEST_DATABASE_URL || process.env.DATABASE_URL || 'postgres://postgres@127.0.0.1:5432/postgres';

/** The server's URL with another database name. */
export function urlFor(name: string): string {
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  return url.toString();
}

/** Drops one of this test file's databases, whoever is still connected to it. */
export async function dropDatabase(name: string): Promise<void> {
  const admin = new pg.Client({ connectionString: urlFor('postgres') });
  await admin.connect();
  try {
    await admin.query(`drop database if exists "${name.replace(/"/g, '""')}" with (force)`);
  } finally {
    await admin.end();
  }
}
