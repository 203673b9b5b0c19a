import { defineTestConfig } from '@pubcrawl/testing/vitest';
import { mergeConfig } from 'vitest/config';

// Schedule time is a clock the tests move by hand (test/manual-clock.ts), so a test spends its time
// on Postgres and Redis, never on waiting for ticks: 15 s per test is several times what the slowest
// (102 fires in a row) takes on a busy 2-core runner. A test that goes back to sleeping through real
// ticks fails here, and the lint rule in eslint.config.js refuses the sleep itself. main.test.ts,
// which starts a process, sets its own budget.
export default mergeConfig(defineTestConfig({ testTimeout: 15_000 }), {
  // Each file mostly waits on Postgres, Redis and its sandbox's start: run them side by side even on
  // a 2-core runner, where vitest would otherwise run them one after another.
  test: { maxWorkers: 4 },
});
