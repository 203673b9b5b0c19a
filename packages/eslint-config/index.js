// One lint setup for every package: each package's eslint.config.js re-exports this.
import tseslint from 'typescript-eslint';

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
