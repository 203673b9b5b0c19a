import type { WorkerContext } from '../context';
import type { Processor } from './index';

// Placeholder until its issue lands: fails loudly rather than pretending to work.
export function createPublishStatusProcessor(_context: WorkerContext): Processor<'publish-status'> {
  return async () => {
    throw new Error('the publish-status processor is not built yet');
  };
}
