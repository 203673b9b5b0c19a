import base, { appRules } from '@pubcrawl/eslint-config';

// Scheduler tests run on a clock they move by hand; the one real-time smoke test (main.test.ts)
// waits at most about a tick. A real sleep longer than 2 s is the old way back to 45 s suites.
const realSleep = 'Scheduler tests move a ManualClock (world.advance) instead of sleeping more than 2 s of real time.';

export default [
  ...base,
  ...appRules,
  {
    files: ['test/**', 'src/**/*.test.ts'],
    rules: {
      'no-restricted-syntax': [
        'error',
        { selector: "CallExpression[callee.name='setTimeout'] > Literal[value>2000]", message: realSleep },
        { selector: "CallExpression[callee.name=/^(sleep|delay|wait)$/] > Literal[value>2000]", message: realSleep },
        { selector: "ImportDeclaration[source.value=/^(node:)?timers\\u002Fpromises$/]", message: realSleep },
      ],
    },
  },
];
