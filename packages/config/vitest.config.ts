import { defineConfig } from 'vitest/config';

// @pubcrawl/testing depends on this package, so its tests configure vitest directly.
export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // The same per-test budget as every other package: CI runs all packages at once on 2 cores.
    testTimeout: 30_000,
    reporters: ['default', 'json'],
    outputFile: { json: 'test-results/vitest.json' },
  },
});
