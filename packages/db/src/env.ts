import { commonEnv } from '@pubcrawl/config';

export const migrateEnvSchema = commonEnv.pick({ DATABASE_URL: true });
export const migrateEnvSource = process.env;
