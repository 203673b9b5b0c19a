import type { TestProject } from 'vitest/node';
import './context';
import { ensureTemplateDatabase } from './database';
import { startServices } from './services';

/** Runs once per vitest run: find or start the services, build the migrated template database. */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const services = await startServices();
  const templateDatabase = await ensureTemplateDatabase(services.databaseUrl);
  project.provide('pubcrawlServices', {
    databaseUrl: services.databaseUrl,
    redisUrl: services.redisUrl,
    source: services.source,
    templateDatabase,
  });
  return () => services.stop();
}
