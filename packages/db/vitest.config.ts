import { defineConfig } from 'vitest/config';

// @pubcrawl/testing depends on this package, so db's own tests configure vitest directly.
export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 60_000,
    reporters: ['default', 'json'],
    outputFile: { json: 'test-results/vitest.json' },
  },
});
