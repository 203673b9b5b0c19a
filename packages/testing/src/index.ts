import { cloneTemplateDatabase, type TestDatabase } from './database';
import { testServices } from './context';
import { createTestRedis, type TestRedis } from './redis';

export { testServices, type ProvidedTestServices } from './context';
export { cloneTemplateDatabase, dropDatabase, ensureTemplateDatabase, freshMigratedDatabase, type TestDatabase } from './database';
export { createTestRedis, createTopologyTestRedis, deleteKeysWithPrefix, topologyClient, type TestRedis, type TopologyTestRedis } from './redis';
export { redisCli, startRedisCluster, startRedisSentinel, type RunningRedisCluster, type RunningRedisSentinel } from './redis-topologies';
export { startServices, withDatabaseName, type StartedServices, type TestServices } from './services';
export { testSandbox } from './sandbox';
export { captureOutput, signalAndWait, type ChildExit } from './child';
export { unusedPort } from './ports';
export { pgbouncerBinary, startPgBouncer, type PgBouncerOptions, type RunningPgBouncer } from './pgbouncer';
export { watchPreparedStatements, type PreparedStatementWatch } from './prepared-statements';
export { waitFor } from './wait';

/** This test file's own database: a clone of the migrated template. Call `cleanup` in afterAll. */
export async function testDatabase(): Promise<TestDatabase> {
  const services = testServices();
  return cloneTemplateDatabase(services.databaseUrl, services.templateDatabase);
}

/** This test file's own Redis key prefix and client. Call `cleanup` in afterAll. */
export async function testRedis(): Promise<TestRedis> {
  return createTestRedis(testServices().redisUrl);
}
