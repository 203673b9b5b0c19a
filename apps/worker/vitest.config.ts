import { defineTestConfig } from '@pubcrawl/testing/vitest';

export default defineTestConfig({ testTimeout: 120_000 });
