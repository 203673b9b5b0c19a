import { defineConfig } from 'vitest/config';

// @pubcrawl/testing depends on this package, so its tests configure vitest directly.
export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    reporters: ['default', 'json'],
    outputFile: { json: 'test-results/vitest.json' },
  },
});
