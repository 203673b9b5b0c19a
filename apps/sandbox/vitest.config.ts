import { defineTestConfig } from '@pubcrawl/testing/vitest';

// The process needs neither Postgres nor Redis.
export default defineTestConfig({ services: false });
