import type { WorkerContext } from '../context';
import type { Processor } from './index';

// Placeholder until its issue lands: fails loudly rather than pretending to work.
export function createPublishProcessor(_context: WorkerContext): Processor<'publish'> {
  return async () => {
    throw new Error('the publish processor is not built yet');
  };
}
