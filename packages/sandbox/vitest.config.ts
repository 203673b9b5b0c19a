import { defineConfig } from 'vitest/config';

// Mirrors @pubcrawl/testing's defineTestConfig without its service setup (the sandbox needs neither
// Postgres nor Redis, and @pubcrawl/testing depends on this package). The JSON report is what
// .ci/summary.mjs adds up.
export default defineConfig({
  test: {
    include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: 'forks',
    reporters: ['default', 'json'],
    outputFile: { json: 'test-results/vitest.json' },
  },
});
