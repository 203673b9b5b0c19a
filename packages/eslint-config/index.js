// One lint setup for every package: each package's eslint.config.js re-exports this.
import tseslint from 'typescript-eslint';

/** Every table the db package defines: only packages/db builds statements over them. */
const TABLES = ['accounts', 'posts', 'postEvents', 'crawls', 'crawlCheckpoints', 'crawlItems', 'tiktokUsers', 'tiktokVideos', 'schedules', 'scheduleRuns', 'webhookDeliveries', 'webhookAttempts'];

/**
 * For the processes in apps/ (not their tests, which seed rows directly): all SQL lives in
 * packages/db, so an app imports neither drizzle's query builder nor a table, and the worker's
 * processors never parse their own payloads (the runner does, from the job catalog).
 */
export const appRules = [
  {
    files: ['src/**/*.ts'],
    ignores: ['src/**/*.test.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: [
            { name: 'drizzle-orm', message: 'SQL lives in packages/db: add a named query there and call it.' },
            { name: '@pubcrawl/db', importNames: TABLES, message: 'SQL lives in packages/db: add a named query there and call it.' },
          ],
          patterns: [{ group: ['drizzle-orm/*'], message: 'SQL lives in packages/db: add a named query there and call it.' }],
        },
      ],
    },
  },
  {
    files: ['src/processors/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: [
            { name: 'drizzle-orm', message: 'SQL lives in packages/db: add a named query there and call it.' },
            { name: '@pubcrawl/db', importNames: TABLES, message: 'SQL lives in packages/db: add a named query there and call it.' },
            {
              name: '@pubcrawl/domain',
              importNames: ['publishJobSchema', 'publishStatusJobSchema', 'crawlJobSchema', 'webhookJobSchema', 'JOB_CATALOG'],
              message: 'The runner parses every payload from the job catalog; a processor receives run.payload.',
            },
            { name: 'bullmq', message: 'Processors answer the runner (job-contract.ts); only the runner talks to BullMQ.' },
          ],
          patterns: [{ group: ['drizzle-orm/*'], message: 'SQL lives in packages/db: add a named query there and call it.' }],
        },
      ],
    },
  },
];

export default tseslint.config(
  { ignores: ['**/node_modules/**', '**/dist/**', '**/test-results/**', '**/*.js', '**/*.mjs'] },
  ...tseslint.configs.recommendedTypeChecked,
  {
    // The type-aware rules read each file's types through its package's tsconfig.json.
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: process.cwd() } },
  },
  {
    rules: {
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-non-null-assertion': 'error',
      '@typescript-eslint/consistent-type-imports': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      // Configuration is parsed once, by zod, in env modules; everything else receives typed values.
      'no-restricted-properties': [
        'error',
        { object: 'process', property: 'env', message: 'Read configuration through an env module (env.ts / @pubcrawl/config).' },
      ],
    },
  },
  {
    rules: {
      // Promises are where a worker loses work silently: every one is awaited, returned or voided
      // on purpose, and never handed to something that ignores it.
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/await-thenable': 'error',
      // Fastify plugins and hooks are async by contract, awaited or not.
      '@typescript-eslint/require-await': 'off',
    },
  },
  {
    files: ['**/env.ts', '**/*.test.ts', '**/test/**', '**/vitest.config.ts', '**/drizzle.config.ts'],
    rules: { 'no-restricted-properties': 'off' },
  },
  {
    // Tests read HTTP answers as loose JSON (light-my-request's json() is `any`) and assert on them;
    // typing every answer would restate the schemas the tests exist to check.
    files: ['**/*.test.ts', '**/test/**'],
    rules: {
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
      '@typescript-eslint/no-unsafe-return': 'off',
    },
  },
);
