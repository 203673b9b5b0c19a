import type { WorkerContext } from '../context';
import type { Processor } from './index';

// Placeholder until its issue lands: fails loudly rather than pretending to work.
export function createCrawlProcessor(_context: WorkerContext): Processor<'crawl-followers' | 'crawl-hashtag'> {
  return async () => {
    throw new Error('the crawl processor is not built yet');
  };
}
