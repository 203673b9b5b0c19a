import { recordFeedCheckNote, schedulePostMetrics, type PostRow } from '@pubcrawl/db';
import { toError } from '@pubcrawl/errors';
import { enqueuePostMetrics, enqueueUnconfirmedCheck } from '@pubcrawl/queue';
import type { WorkerContext } from '../context';
import { feedVisibility } from './visibility';
import { videoIdOf } from './schedule';

/**
 * A feed check's first look waits this long (at most one verify interval): a post TikTok accepted
 * a moment ago may not be listed yet, and a look that early would spend quota on a sure miss.
 */
const FIRST_FEED_CHECK_DELAY_MS = 15_000;

/**
 * What follows a post that just ended, called after the commit that ended it: a published post's
 * metric schedule, an unconfirmed post's feed check. Never throws: the post's own outcome is already
 * committed and must not be retried for this, and the insights reconciler rebuilds whatever a
 * failure here leaves out.
 */
export async function followUpEndedPost(context: WorkerContext, post: PostRow | null): Promise<void> {
  if (post === null) return;
  try {
    if (post.status === 'published') await startPostMetrics(context, post);
    else if (post.status === 'unconfirmed') await startFeedCheck(context, post);
  } catch (caught) {
    context.logger.warn({ err: toError(caught), postId: post.id, status: post.status }, 'could not start the post follow-up; the insights reconciler will');
  }
}

/**
 * Stores the video id and the offsets owed (due at the publish time plus each offset), then
 * enqueues one delayed job per owed offset. Offsets already past (a post resolved late) are taken
 * at once; their snapshot's takenAt says when. Returns how many jobs were enqueued.
 */
export async function startPostMetrics(context: WorkerContext, post: Pick<PostRow, 'id' | 'publicUrl' | 'finishedAt'>): Promise<number> {
  const videoId = videoIdOf(post.publicUrl);
  if (videoId === null) return 0;
  const publishedAt = (post.finishedAt ?? new Date()).getTime();
  const due = context.env.POST_METRICS_SCHEDULE.map((offset) => ({ label: offset.label, dueAt: new Date(publishedAt + offset.ms) }));
  const owed = await schedulePostMetrics(context.db.db, post.id, videoId, due);
  const now = Date.now();
  for (const offset of owed) await enqueuePostMetrics(context.queues, post.id, offset.offsetLabel, offset.dueAt.getTime() - now);
  return owed.length;
}

/**
 * Starts the feed check of a post that just became unconfirmed, when the feed could show it. One
 * that could not (not public, a draft, a tracked publish with no request) gets a note saying why no
 * check runs, so the operator knows it is theirs to resolve.
 */
export async function startFeedCheck(context: WorkerContext, post: PostRow): Promise<void> {
  const visibility = feedVisibility(post);
  if (!visibility.visible) {
    await recordFeedCheckNote(context.db.db, post, { code: 'feed_check_skipped', message: `not looked for in the public feed: ${visibility.reason}` });
    return;
  }
  await enqueueUnconfirmedCheck(context.queues, post, Math.min(FIRST_FEED_CHECK_DELAY_MS, context.env.UNCONFIRMED_VERIFY_INTERVAL_MS));
}
