import { cachedCreatorInfo, findPostWithAccount, recordFeedCheckNote, recordVerifiedInFeed, rivalPostCaptions, videoIdsOwnedByOtherPosts, type AccountRow, type PostRow } from '@pubcrawl/db';
import { tiktokVideoUrl } from '@pubcrawl/contracts';
import { toError } from '@pubcrawl/errors';
import { MAX_PAGE_SIZE, NotFoundOnTikTok, QuotaWait, type TikTokVideo } from '@pubcrawl/tiktok';
import { acquireTikTokQuota } from '../publishing/tiktok-quota';
import type { WorkerContext } from '../context';
import { dispatchEvents } from '../events';
import { rescheduleAt, type JobResult, type Rescheduled } from '../job-contract';
import { followUpEndedPost } from './follow-up';
import { withQuota } from './quota';
import { feedVisibility, normaliseCaption } from './visibility';

/**
 * How far before the submission a feed entry may be dated and still be this post: TikTok dates a
 * video by its own clock, which may run behind ours, and the request was in flight before it landed.
 */
export const CREATE_TIME_LEAD_MS = 5 * 60_000;

/** One page of the account's posts, newest first: TikAPI's largest page, and one call per check. */
const FEED_DEPTH = MAX_PAGE_SIZE;

/** What a match is judged on, from TikAPI's public feed or TikTok's own video list alike, and the page it is on. */
type FeedVideo = Pick<TikTokVideo, 'id' | 'desc' | 'createTime'> & { publicUrl: string };

type FeedLook =
  | { kind: 'match'; video: FeedVideo; who: string }
  | { kind: 'miss'; message: string; data: Record<string, unknown> };

/**
 * Looks for an unconfirmed post in its account's public feed, every UNCONFIRMED_VERIFY_INTERVAL_MS
 * until UNCONFIRMED_VERIFY_WINDOW_MS after its submission (one job per generation that reschedules
 * itself, so no attempt is spent per look). A match publishes it with the URL and the evidence; no
 * match by the window's end leaves it unconfirmed, with what the last look saw on its timeline.
 * Nothing here sends anything to the posting API: the only calls are reads.
 */
export async function verifyUnconfirmed(context: WorkerContext, job: { postId: string; generation: number; starts: number }): Promise<JobResult | Rescheduled> {
  const loaded = await findPostWithAccount(context.db.db, job.postId);
  if (loaded === null) return { skipped: 'post not found' };
  const { post, account } = loaded;
  if (post.generation !== job.generation) return { skipped: `stale generation ${job.generation}` };
  if (post.status !== 'unconfirmed') return { skipped: post.status };
  const visibility = feedVisibility(post);
  if (!visibility.visible) return { skipped: visibility.reason };

  const submittedAt = (post.submittedAt ?? post.finishedAt ?? post.updatedAt).getTime();
  const windowEnd = submittedAt + context.env.UNCONFIRMED_VERIFY_WINDOW_MS;
  let look: FeedLook;
  try {
    look = await lookInFeed(context, post, account, visibility.caption, { from: submittedAt - CREATE_TIME_LEAD_MS, to: windowEnd, submittedAt });
  } catch (caught) {
    const error = toError(caught);
    if (error instanceof QuotaWait) throw error;
    // The window bounds the retries; each look is rescheduled, so errors spend no attempts either.
    context.logger.warn({ err: error, postId: post.id }, 'could not read the public feed; looking again later');
    look = { kind: 'miss', message: `the feed could not be read at ${new Date().toISOString()}: ${error.message}`, data: { error: error.message } };
  }

  if (look.kind === 'match') return publishFromFeed(context, post, look);
  const now = Date.now();
  if (now < windowEnd) return rescheduleAt(Math.min(now + context.env.UNCONFIRMED_VERIFY_INTERVAL_MS, windowEnd), look.message);
  const looks = Math.max(1, job.starts);
  await recordFeedCheckNote(context.db.db, post, {
    code: 'not_in_feed',
    message: `${look.message}; looked ${looks} time${looks === 1 ? '' : 's'} until ${new Date(windowEnd).toISOString()}, so it stays unconfirmed`,
    data: { ...look.data, looks, windowFrom: new Date(submittedAt - CREATE_TIME_LEAD_MS).toISOString(), windowTo: new Date(windowEnd).toISOString() },
  });
  return { unconfirmed: look.message };
}

async function lookInFeed(
  context: WorkerContext,
  post: PostRow,
  account: AccountRow,
  caption: string,
  window: { from: number; to: number; submittedAt: number },
): Promise<FeedLook> {
  const checkedAt = new Date().toISOString();
  if (account.provider === 'tiktok') return lookInOwnVideos(context, post, account, caption, window, checkedAt);
  const username = await usernameOf(context, account);
  if (username === null) {
    return { kind: 'miss', message: `the account's TikTok username is unknown at ${checkedAt} (never synced, and the posting API does not list ${account.externalId})`, data: { checkedAt } };
  }
  let profile;
  try {
    profile = await withQuota(context, context.tikapi.quotaScope, () => context.tikapi.checkProfile(username));
  } catch (caught) {
    if (!(caught instanceof NotFoundOnTikTok)) throw caught;
    return { kind: 'miss', message: `@${username} is not a public TikTok profile at ${checkedAt}`, data: { username, checkedAt } };
  }
  if (profile.privateAccount) return { kind: 'miss', message: `@${username} is a private account at ${checkedAt}; its feed lists nothing`, data: { username, checkedAt } };
  const page = await withQuota(context, context.tikapi.quotaScope, () => context.tikapi.userPostsPage({ secUid: profile.secUid, count: FEED_DEPTH }));

  const videos = page.items.map((video) => ({ id: video.id, desc: video.desc, createTime: video.createTime, publicUrl: tiktokVideoUrl(username, video.id) }));
  return judgeCandidates(context, post, videos, { caption, window, checkedAt, username, who: `@${username}`, source: `the ${FEED_DEPTH} newest posts of @${username}` });
}

/**
 * tiktok accounts read their own videos (`/v2/video/list/`, scope video.list) with the account's
 * token: no TikAPI call, and no username needed to find the feed.
 */
async function lookInOwnVideos(context: WorkerContext, post: PostRow, account: AccountRow, caption: string, window: { from: number; to: number }, checkedAt: string): Promise<FeedLook> {
  const page = await context.tiktokTokens.withAccessToken(account.id, async (token) => {
    await acquireTikTokQuota(context, 'status', token);
    return context.tiktok.listVideos(token);
  });
  const username = account.username ?? cachedCreatorInfo(account)?.info.username ?? null;
  const videos: FeedVideo[] = page.videos.map((video) => ({
    id: video.id,
    desc: video.description === '' ? video.title : video.description,
    createTime: video.createTime,
    // TikTok's own link when it gives one; the handle-based page otherwise (a wrong handle redirects).
    publicUrl: video.shareUrl ?? tiktokVideoUrl(username ?? account.externalId, video.id),
  }));
  return judgeCandidates(context, post, videos, { caption, window, checkedAt, username, who: username === null ? 'the account' : `@${username}`, source: `the ${videos.length} newest videos TikTok's video.list gave for the account` });
}

async function judgeCandidates(
  context: WorkerContext,
  post: PostRow,
  items: readonly FeedVideo[],
  look: { caption: string; window: { from: number; to: number }; checkedAt: string; username: string | null; who: string; source: string },
): Promise<FeedLook> {
  const { caption, window, checkedAt, username, who } = look;
  const inWindow = (video: FeedVideo) => video.createTime * 1000 >= window.from && video.createTime * 1000 <= window.to;
  const candidates = items.filter((video) => inWindow(video) && normaliseCaption(video.desc) === caption);
  // The same caption posted twice (allowDuplicate) must not make one video publish two posts.
  const owned = await videoIdsOwnedByOtherPosts(context.db.db, post.id, candidates.map((video) => video.id));
  const unowned = candidates.filter((video) => !owned.has(video.id));
  const rivals = (await rivalPostCaptions(context.db.db, post, new Date(window.from), new Date(window.to))).filter((rival) => normaliseCaption(rival.content ?? '') === caption);
  const [only] = unowned;
  // Proof needs one video and one post that could be it: with two same-caption posts in flight,
  // or two matching videos, a match could hand this post another post's video.
  if (only !== undefined && unowned.length === 1 && rivals.length === 0) return { kind: 'match', video: only, who };
  if (unowned.length > 0) {
    return {
      kind: 'miss',
      message: `ambiguous at ${checkedAt}: ${unowned.length} video(s) of ${who} carry this caption and ${rivals.length} other post(s) of the account with it are still unresolved; resolve it by hand (POST /v1/posts/:id/resolve)`,
      data: { username, checkedAt, candidates: unowned.map((video) => video.id), rivals: rivals.map((rival) => rival.id) },
    };
  }
  return {
    kind: 'miss',
    message: `not among ${look.source} at ${checkedAt} (the feed listed ${items.length})`,
    data: { username, checkedAt, postsChecked: items.length, newestCreateTime: items[0]?.createTime ?? null, sameCaptionOutsideWindow: items.filter((video) => normaliseCaption(video.desc) === caption && !inWindow(video)).length },
  };
}

async function publishFromFeed(context: WorkerContext, post: PostRow, look: Extract<FeedLook, { kind: 'match' }>): Promise<JobResult> {
  const { video, who } = look;
  const publicUrl = video.publicUrl;
  const createdAt = new Date(video.createTime * 1000).toISOString();
  const { row, delivery } = await recordVerifiedInFeed(
    context.db.db,
    post,
    {
      videoId: video.id,
      publicUrl,
      createTime: video.createTime,
      matchedOn: 'caption and create time',
      message: `found in ${who}'s feed: video ${video.id}, created ${createdAt}, with this post's caption`,
    },
    context.env.WEBHOOK_URL,
  );
  if (row === null) return { skipped: 'the post moved on before the match was recorded' };
  await dispatchEvents(context, [delivery]);
  await followUpEndedPost(context, row);
  return { published: publicUrl, videoId: video.id };
}

/**
 * The account's TikTok username: the `username` column (set by a sync or a QR link), else what the
 * posting API's account list names for its external id (the sandbox's mapping: `acct_<N>` is
 * `user_<N>`, others as it lists them). Null when neither knows.
 */
async function usernameOf(context: WorkerContext, account: AccountRow): Promise<string | null> {
  if (account.username !== null && account.username.length > 0) return account.username;
  const { accounts } = await withQuota(context, context.posting.quotaScope, () => context.posting.listAccounts());
  const listed = accounts.find((entry) => entry.accountId === account.externalId)?.username;
  return listed === undefined || listed.length === 0 ? null : listed;
}
