import type { ApiContext } from '../context';
import { resumeParkedCrawls } from './parked-crawls';
import { resumeParkedPosts } from './parked-posts';

/**
 * After an account is re-authorized, everything parked for it goes back to work: posts and crawls
 * in `reauth_required` are moved back in Postgres (with their events) and re-enqueued.
 */
export async function resumeParkedWork(context: ApiContext, accountId: string): Promise<{ posts: number; crawls: number }> {
  const posts = await resumeParkedPosts(context, accountId);
  const crawls = await resumeParkedCrawls(context, accountId);
  return { posts, crawls };
}
