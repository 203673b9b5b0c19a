import { createHash, randomUUID } from 'node:crypto';
import { readFile, readdir } from 'node:fs/promises';
import { MIGRATIONS_FOLDER, migrateDatabase } from '@pubcrawl/db';
import pg from 'pg';
import { withDatabaseName } from './services';

const OBJECT_IN_USE = '55006';

function quote(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

async function withAdmin<T>(serverUrl: string, fn: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: withDatabaseName(serverUrl, 'postgres'), connectionTimeoutMillis: 5_000 });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

/** The template's name carries a hash of the migrations, so a schema change builds a new one. */
async function templateName(): Promise<string> {
  const hash = createHash('sha256');
  const files = (await readdir(MIGRATIONS_FOLDER)).filter((file) => file.endsWith('.sql')).sort();
  for (const file of files) hash.update(file).update(await readFile(`${MIGRATIONS_FOLDER}/${file}`));
  return `pubcrawl_tpl_${hash.digest('hex').slice(0, 12)}`;
}

/**
 * Builds (once per schema version, across every concurrent test process) a migrated template
 * database. It is migrated under a temporary name and renamed when complete, so a crash mid-build
 * never leaves a half-migrated template that later runs would trust.
 */
export async function ensureTemplateDatabase(serverUrl: string): Promise<string> {
  const name = await templateName();
  return withAdmin(serverUrl, async (admin) => {
    // A session lock, unlike the migrator's: CREATE/ALTER DATABASE cannot run in a transaction, so
    // none could hold an xact lock across them. Safe because `serverUrl` is the Postgres server
    // itself; this one connection is never behind a transaction-pooling PgBouncer.
    await admin.query('select pg_advisory_lock(hashtext($1))', ['pubcrawl:test-template']);
    try {
      const exists = await admin.query('select 1 from pg_database where datname = $1', [name]);
      if (exists.rowCount) return name;
      const building = `${name}_building`;
      await admin.query(`drop database if exists ${quote(building)} with (force)`);
      await migrateDatabase(withDatabaseName(serverUrl, building));
      await admin.query(`alter database ${quote(building)} rename to ${quote(name)}`);
      return name;
    } finally {
      await admin.query('select pg_advisory_unlock(hashtext($1))', ['pubcrawl:test-template']);
    }
  });
}

export interface TestDatabase {
  name: string;
  url: string;
  /** Drops the database, closing any connection a test leaked. */
  cleanup(): Promise<void>;
}

/** A private copy of the migrated template: each test file writes into its own database. */
export async function cloneTemplateDatabase(serverUrl: string, template: string): Promise<TestDatabase> {
  const name = `pubcrawl_test_${randomUUID().replace(/-/g, '').slice(0, 16)}`;
  await withAdmin(serverUrl, async (admin) => {
    // CREATE DATABASE refuses while another session is copying the same template; retry briefly.
    for (let attempt = 0; ; attempt += 1) {
      try {
        await admin.query(`create database ${quote(name)} template ${quote(template)}`);
        return;
      } catch (caught) {
        const code = typeof caught === 'object' && caught !== null && 'code' in caught ? caught.code : undefined;
        if (code !== OBJECT_IN_USE || attempt >= 50) throw caught;
        await new Promise((resolve) => setTimeout(resolve, 100 + Math.random() * 200));
      }
    }
  });
  return {
    name,
    url: withDatabaseName(serverUrl, name),
    cleanup: () => dropDatabase(serverUrl, name),
  };
}

/** A new database migrated from scratch; for benchmarks and scripts that run outside vitest. */
export async function freshMigratedDatabase(serverUrl: string, prefix = 'pubcrawl_scratch'): Promise<TestDatabase> {
  const name = `${prefix}_${randomUUID().replace(/-/g, '').slice(0, 12)}`;
  const url = withDatabaseName(serverUrl, name);
  await migrateDatabase(url);
  return { name, url, cleanup: () => dropDatabase(serverUrl, name) };
}

export async function dropDatabase(serverUrl: string, name: string): Promise<void> {
  await withAdmin(serverUrl, async (admin) => {
    await admin.query(`drop database if exists ${quote(name)} with (force)`);
  });
}
