import { commonEnvFields } from '@pubcrawl/config';

// From the unrefined fields: zod cannot pick from commonEnv, which carries the Redis topology rule.
export const migrateEnvSchema = commonEnvFields.pick({ DATABASE_URL: true });
export const migrateEnvSource = process.env;
