import type { ApiContext } from '../context';

// Placeholder until its issue lands: nothing can be parked yet.
export async function resumeParkedPosts(_context: ApiContext, _accountId: string): Promise<number> {
  return 0;
}
