import { defineConfig } from 'vitest/config';

// Pure functions and schemas: no services, so no global setup.
export default defineConfig({
  test: {
    include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
    // The same per-test budget as every other package: CI runs all packages at once on 2 cores.
    testTimeout: 30_000,
    reporters: ['default', 'json'],
    outputFile: { json: 'test-results/vitest.json' },
  },
});
