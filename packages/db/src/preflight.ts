import { PREFLIGHT_TIMEOUT_MS, serviceAddress, type PreflightFailure } from '@pubcrawl/config';
import pg from 'pg';
import { toError } from '@pubcrawl/errors';

/** SQLSTATE 3D000: the server answered, the database is missing; `pnpm db:migrate` creates it. */
const INVALID_CATALOG_NAME = '3D000';

const START_POSTGRES = 'start it with `docker compose up -d postgres` (or `pg_ctlcluster <version> main start`), or point DATABASE_URL at a running server';

/**
 * Connects once and runs `select 1`. A server that answers "no such database" counts as reachable:
 * the launcher probes before it migrates, and the migration creates the database.
 */
export async function probePostgres(url: string, timeoutMs = PREFLIGHT_TIMEOUT_MS): Promise<PreflightFailure | null> {
  const address = serviceAddress(url, 5432);
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: timeoutMs, application_name: 'pubcrawl-preflight' });
  // A socket error after connect would otherwise be an unhandled 'error' event.
  client.on('error', () => undefined);
  try {
    await client.connect();
    await client.query('select 1');
    return null;
  } catch (caught) {
    const error = toError(caught);
    const code = (error as { code?: unknown }).code;
    if (code === INVALID_CATALOG_NAME) return null;
    // A SQLSTATE (five characters) means the server answered: the problem is the login, not the server.
    const answered = typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code);
    return {
      variable: 'DATABASE_URL',
      service: 'Postgres',
      address,
      problem: answered ? `the server refused: ${error.message}` : `not reachable (${networkProblem(error, timeoutMs)})`,
      hint: answered ? 'check the user, password and database in DATABASE_URL' : START_POSTGRES,
    };
  } finally {
    await client.end().catch(() => undefined);
  }
}

function networkProblem(error: Error, timeoutMs: number): string {
  const code = (error as { code?: unknown }).code;
  if (typeof code === 'string') return code;
  if (/timeout/i.test(error.message)) return `no answer within ${timeoutMs} ms`;
  return error.message || error.name;
}
