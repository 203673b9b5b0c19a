import { loadEnv } from '@pubcrawl/config';
import { migrateEnvSchema, migrateEnvSource } from './env';
import { migrateDatabase } from './migrate';
import { toError } from '@pubcrawl/errors';

// `pnpm db:migrate`: short, human output; a failure prints one line and exits non-zero.
const env = loadEnv(migrateEnvSchema, migrateEnvSource);
const target = new URL(env.DATABASE_URL);
const where = `${target.hostname}:${target.port || '5432'}${target.pathname}`;

try {
  const result = await migrateDatabase(env.DATABASE_URL);
  const created = result.createdDatabase ? 'created database, ' : '';
  const applied = result.applied === 0 ? 'already up to date' : `applied ${result.applied} migration(s)`;
  process.stdout.write(`db:migrate ${where}: ${created}${applied} (${result.total} total)\n`);
} catch (caught) {
  const error = toError(caught);
  process.stderr.write(`db:migrate ${where} failed: ${error.message || error.name}\n`);
  process.exit(1);
}
