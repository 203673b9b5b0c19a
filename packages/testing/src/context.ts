import { inject } from 'vitest';
import type { TestServices } from './services';

export interface ProvidedTestServices extends TestServices {
  templateDatabase: string;
}

declare module 'vitest' {
  export interface ProvidedContext {
    pubcrawlServices: ProvidedTestServices;
  }
}

/** What the global setup resolved, available in every test file of the run. */
export function testServices(): ProvidedTestServices {
  return inject('pubcrawlServices');
}
