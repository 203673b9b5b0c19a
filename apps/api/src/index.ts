export { buildServer } from './server';
export { apiEnvSchema, type ApiEnv } from './env';
export type { ApiContext } from './context';
