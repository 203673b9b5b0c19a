import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { migrateDatabase } from '../src/migrate';
import { urlFor } from './server-url';

const run = promisify(execFile);
const packageDir = fileURLToPath(new URL('..', import.meta.url));

async function dropDatabase(name: string): Promise<void> {
  const admin = new pg.Client({ connectionString: urlFor('postgres') });
  await admin.connect();
  try {
    await admin.query(`drop database if exists "${name}" with (force)`);
  } finally {
    await admin.end();
  }
}

describe('db:migrate', () => {
  it('creates a missing database, and a second run changes nothing', async () => {
    const name = `pubcrawl_migrate_${randomUUID().replace(/-/g, '').slice(0, 12)}`;
    try {
      const first = await migrateDatabase(urlFor(name));
      expect(first.createdDatabase).toBe(true);
      expect(first.applied).toBeGreaterThan(0);

      const second = await migrateDatabase(urlFor(name));
      expect(second).toEqual({ createdDatabase: false, applied: 0, total: first.total });
    } finally {
      await dropDatabase(name);
    }
  });

  it('serialises concurrent migrators on one database', async () => {
    const name = `pubcrawl_migrate_${randomUUID().replace(/-/g, '').slice(0, 12)}`;
    try {
      const results = await Promise.all([migrateDatabase(urlFor(name)), migrateDatabase(urlFor(name)), migrateDatabase(urlFor(name))]);
      expect(results.reduce((sum, result) => sum + result.applied, 0)).toBe(results[0]?.total);
    } finally {
      await dropDatabase(name);
    }
  });

  it('prints one short line naming DATABASE_URL when it is not a URL', async () => {
    const failure = await run('pnpm', ['exec', 'tsx', 'src/migrate-cli.ts'], {
      cwd: packageDir,
      env: { ...process.env, DATABASE_URL: 'not a url' },
    }).then(
      () => null,
      (caught: unknown) => caught as { code: number; stderr: string },
    );
    expect(failure).not.toBeNull();
    expect(failure?.code).toBe(1);
    const lines = failure?.stderr.trim().split('\n') ?? [];
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain('DATABASE_URL');
    expect(lines[0]).not.toMatch(/\bat .*\(.*:\d+:\d+\)/);
  });
});
