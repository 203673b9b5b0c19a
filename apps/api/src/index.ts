export { buildServer } from './server';
export { apiEnvSchema, type ApiEnv } from './env';
export type { ApiContext } from './context';
export { createApiPostingClient } from './posting';
export { createApiTikApi, type ApiTikApi } from './tikapi';
export { createApiTikTok, type ApiTikTok } from './tiktok';
