import { cachedCreatorInfo, findPostWithAccount, setMissingPollDeadline, type AccountRow, type PostRow } from '@pubcrawl/db';
import type { Provider } from '@pubcrawl/domain';
import { tiktokVideoUrl } from '@pubcrawl/contracts';
import { accountScope, Permanent, QuotaWait, RateLimited, SessionExpired, waitForQuota, type PublishStatusResult } from '@pubcrawl/tiktok';
import type { WorkerContext } from '../context';
import { rescheduleAt, type JobResult, type JobRun, type Rescheduled } from '../job-contract';
import { endPost, parkForExpiredSession, parkWithAccount, publishRetryAfterMs, statusHorizonMs, statusMaxIntervalMs, upstreamErrorCode } from '../publishing/outcomes';
import { acquireTikTokQuota } from '../publishing/tiktok-quota';
import type { Processor } from './index';
import { toError } from '@pubcrawl/errors';

type StatusRun = JobRun<'publish-status'>;

/**
 * Polls the provider for a submitted post until it is published or failed. ONE job per post and
 * generation (`status-<post>-<generation>`) re-schedules itself (`rescheduleAt`), so polling never
 * burns an attempt, the job id stays stable for the reconciler, and the schedule is
 * bounded: PUBLISH_STATUS_FIRST_INTERVAL_MS doubling to PUBLISH_STATUS_MAX_INTERVAL_MS, and a
 * `status_timeout` failure once `pollDeadlineAt` (PUBLISH_STATUS_HORIZON after submission) passes.
 */
export function createPublishStatusProcessor(context: WorkerContext): Processor<'publish-status'> {
  return async (run) => {
    const { postId, generation } = run.payload;
    const loaded = await findPostWithAccount(context.db.db, postId);
    if (loaded === null) return { skipped: 'post not found' };
    const { account } = loaded;
    let { post } = loaded;
    if (generation !== post.generation) return { skipped: `stale generation ${generation}` };
    if (post.status !== 'processing') return { skipped: post.status };
    const { publishId } = post;
    if (publishId === null) {
      await endPost(context, post, ['processing'], 'failed', { code: 'missing_publish_id', message: 'the post is processing but has no publish id to poll' });
      return { failed: 'missing_publish_id' };
    }
    // Only an expired session parks: TikTok already has a post whose account was unlinked or
    // deleted meanwhile, and its outcome is still worth knowing.
    if (account.status === 'reauth_required') {
      await parkWithAccount(context, post, ['processing']);
      return { parked: 'account reauth_required' };
    }
    post = await ensureDeadline(context, post, account.provider);

    let status: PublishStatusResult;
    try {
      status = account.provider === 'tiktok' ? await tiktokStatus(context, account, publishId) : await postingStatus(context, account, publishId);
    } catch (caught) {
      if (caught instanceof QuotaWait) throw caught;
      return handleStatusError(context, run, post, account, toError(caught));
    }

    switch (status.status) {
      case 'PUBLISH_COMPLETE':
      case 'SEND_TO_USER_INBOX':
        await endPost(context, post, ['processing'], 'published', {
          code: status.status === 'PUBLISH_COMPLETE' ? 'publish_complete' : 'sent_to_inbox',
          message: status.status,
          data: { status: status.status, ...(status.publicUrl === undefined ? {} : { publicUrl: status.publicUrl }) },
          patch: { publicUrl: status.publicUrl ?? post.publicUrl },
        });
        return { published: status.status };
      case 'FAILED': {
        const reason = status.failReason ?? 'publish_failed';
        await endPost(context, post, ['processing'], 'failed', {
          code: reason,
          message: `the provider reported FAILED${status.failReason === undefined ? ' without a reason' : `: ${status.failReason}`}`,
          data: { status: status.status, failReason: status.failReason ?? null },
        });
        return { failed: reason };
      }
      default:
        return pollAgain(context, run, post, account.provider, `still ${status.status}`);
    }
  };
}

async function postingStatus(context: WorkerContext, account: AccountRow, publishId: string): Promise<PublishStatusResult> {
  await waitForQuota(await context.limiter.acquire(context.posting.scopesFor('status', account.externalId)));
  return context.posting.getStatus(account.externalId, publishId, { signal: AbortSignal.timeout(context.env.UPSTREAM_TIMEOUT_MS) });
}

/**
 * TikTok names a post by id only once it is public (`publicaly_available_post_id`); its page is
 * then `@<username>/video/<id>`. The username comes from the account or its creator_info.
 */
async function tiktokStatus(context: WorkerContext, account: AccountRow, publishId: string): Promise<PublishStatusResult> {
  const answer = await context.tiktokTokens.withAccessToken(account.id, async (token) => {
    await acquireTikTokQuota(context, 'status', token);
    return context.tiktok.fetchStatus(token, publishId);
  });
  const [postId] = answer.postIds;
  const username = account.username ?? cachedCreatorInfo(account)?.info.username;
  const publicUrl = postId === undefined || username === undefined ? undefined : tiktokVideoUrl(username, postId);
  return { status: answer.status, ...(answer.failReason === undefined ? {} : { failReason: answer.failReason }), ...(publicUrl === undefined ? {} : { publicUrl }), raw: answer.raw };
}

/** Posts resumed after a reauthorize come back without a deadline: the parked time does not count. */
async function ensureDeadline(context: WorkerContext, post: PostRow, provider: Provider): Promise<PostRow> {
  if (post.pollDeadlineAt !== null) return post;
  return (await setMissingPollDeadline(context.db.db, post.id, new Date(Date.now() + statusHorizonMs(context, provider)))) ?? post;
}

/**
 * The next poll, or `status_timeout` once the deadline has passed. The poll count is the job's own
 * `attemptsStarted` (each delayed wake-up is a start), so the interval doubles without any state.
 */
async function pollAgain(context: WorkerContext, run: StatusRun, post: PostRow, provider: Provider, why: string): Promise<JobResult | Rescheduled> {
  const now = Date.now();
  const deadline = post.pollDeadlineAt?.getTime() ?? now;
  if (now >= deadline) {
    await endPost(context, post, ['processing'], 'failed', {
      code: 'status_timeout',
      message: `the provider did not report a final status within ${Math.round(statusHorizonMs(context, provider) / 1000)} s of submission (${why})`,
    });
    return { failed: 'status_timeout' };
  }
  const polls = Math.max(1, run.starts);
  const interval = Math.min(statusMaxIntervalMs(context, provider), context.env.PUBLISH_STATUS_FIRST_INTERVAL_MS * 2 ** Math.min(polls, 30));
  // The last poll lands on the deadline itself, so a post that completes just in time still counts.
  return rescheduleAt(Math.min(now + interval, deadline), `polling again: ${why}`);
}

async function handleStatusError(context: WorkerContext, run: StatusRun, post: PostRow, account: AccountRow, error: Error): Promise<JobResult | Rescheduled> {
  if (error instanceof RateLimited) {
    const scope = error.scope ?? accountScope('status', account.externalId);
    const waitMs = publishRetryAfterMs(error);
    await context.limiter.block(scope, waitMs);
    throw new QuotaWait(Date.now() + waitMs, scope, waitMs);
  }
  if (error instanceof SessionExpired) {
    // The publish id is kept: after reauthorize the post resumes polling, it is not re-sent.
    await parkForExpiredSession(context, post, ['processing'], account, error.message);
    throw error;
  }
  if (error instanceof Permanent) {
    await endPost(context, post, ['processing'], 'failed', { code: upstreamErrorCode(error), message: `the status of publish ${post.publishId ?? ''} cannot be read: ${error.message}` });
    return { failed: upstreamErrorCode(error) };
  }
  // Transient (and Ambiguous, which a GET cannot really be): the deadline bounds how long we keep asking.
  context.logger.warn({ err: error, postId: post.id }, 'status poll failed; polling again');
  return pollAgain(context, run, post, account.provider, error.message);
}
