import { fileURLToPath } from 'node:url';
import { defineConfig, type ViteUserConfig } from 'vitest/config';

const globalSetup = fileURLToPath(new URL('./global-setup.ts', import.meta.url));

/**
 * The one vitest configuration every package uses: real services through the global setup, files
 * in parallel, and a JSON report that .ci/run sums into the final "N passed, N failed" line.
 */
export function defineTestConfig(overrides: { testTimeout?: number; services?: boolean; include?: string[] } = {}): ViteUserConfig {
  return defineConfig({
    test: {
      include: overrides.include ?? ['src/**/*.test.ts', 'test/**/*.test.ts'],
      globalSetup: overrides.services === false ? [] : [globalSetup],
      testTimeout: overrides.testTimeout ?? 30_000,
      hookTimeout: 60_000,
      pool: 'forks',
      reporters: ['default', 'json'],
      outputFile: { json: 'test-results/vitest.json' },
    },
  });
}
