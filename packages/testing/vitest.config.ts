import { defineTestConfig } from './src/vitest';

export default defineTestConfig();
