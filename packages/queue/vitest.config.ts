import { defineTestConfig } from '@pubcrawl/testing/vitest';

export default defineTestConfig();
