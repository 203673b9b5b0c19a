import { defineTestConfig } from '@pubcrawl/testing/vitest';
import { mergeConfig } from 'vitest/config';

export default mergeConfig(defineTestConfig({ testTimeout: 120_000 }), {
  // These files spend their time waiting for cron ticks, not computing: run them side by side even
  // on a 2-core runner, where vitest would otherwise run them one after another (about 2 minutes).
  test: { maxWorkers: 4 },
});
