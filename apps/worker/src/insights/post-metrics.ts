import { countPostMetricAttempt, findPostMetricTarget, recordPostMetricSnapshot, type VideoCounts } from '@pubcrawl/db';
import { toError } from '@pubcrawl/errors';
import { Permanent, QuotaWait } from '@pubcrawl/tiktok';
import type { WorkerContext } from '../context';
import { rescheduleAt, type JobResult, type Rescheduled } from '../job-contract';
import { withQuota } from './quota';

/** A delayed job may wake this much early (clock skew between hosts) and still count as due. */
const EARLY_TOLERANCE_MS = 1_000;

const UNAVAILABLE: VideoCounts = { plays: null, likes: null, comments: null, shares: null };

/**
 * A published post's stats at one offset: the video read through TikAPI, the snapshot and the
 * offset's taken_at written together, so a second run of the same job writes nothing.
 *
 * A video TikTok no longer shows (deleted, made private), an answer we cannot read, or the last
 * attempt failing still close the offset, with a snapshot of null counts: the offset's moment has
 * passed, and leaving it owed would have the reconciler enqueue it again every pass, for ever.
 */
export async function takePostMetricSnapshot(
  context: WorkerContext,
  job: { postId: string; offset: string; isLastAttempt: boolean },
): Promise<JobResult | Rescheduled> {
  const { postId, offset } = job;
  const target = await findPostMetricTarget(context.db.db, postId, offset);
  if (target === null) return { skipped: 'no such offset' };
  if (target.takenAt !== null) return { skipped: 'already taken' };
  const { videoId } = target;
  if (videoId === null) return { skipped: 'the post has no video id' };
  if (Date.now() < target.dueAt.getTime() - EARLY_TOLERANCE_MS) return rescheduleAt(target.dueAt.getTime(), `offset ${offset} is not due yet`);

  let counts: VideoCounts;
  let unavailable: string | null = null;
  try {
    const { video } = await withQuota(context, context.tikapi.quotaScope, async () => {
      await countPostMetricAttempt(context.db.db, postId, offset);
      return context.tikapi.getVideo(videoId);
    });
    counts = { plays: video.stats.playCount, likes: video.stats.diggCount, comments: video.stats.commentCount, shares: video.stats.shareCount };
  } catch (caught) {
    const error = toError(caught);
    if (error instanceof QuotaWait) throw error;
    if (!(error instanceof Permanent) && !job.isLastAttempt) throw error;
    counts = UNAVAILABLE;
    unavailable = error.message;
  }
  const written = await recordPostMetricSnapshot(context.db.db, { postId, offsetLabel: offset, videoId, counts, takenAt: new Date() });
  if (!written) return { skipped: 'already taken' };
  return unavailable === null ? { snapshot: offset, videoId, ...counts } : { snapshot: offset, videoId, unavailable };
}
