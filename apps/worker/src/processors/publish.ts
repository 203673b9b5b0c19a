import { setTimeout as sleep } from 'node:timers/promises';
import { accountSubmissionsSince, claimWithinDailyCap, findPostWithAccount, holdAccountInboxUntil, holdAccountUntil, lockPost, postWebhookKey, recordPostNote, recordPostWait, recordPostWebhook, transitionPost, type AccountRow, type Database, type CappedClaim, type PostRow, type PostWait, type TransitionDetails } from '@pubcrawl/db';
import { PUBLISH_WAKE_AHEAD_MS } from '@pubcrawl/queue';
import { accountScope, ACTIVE_USER_CAP_CODE, DEFAULT_QUOTA_LIMITS, Ambiguous, CreatePostResponse, DailyCapReached, PENDING_SHARE_CODE, Permanent, QuotaWait, RateLimited, SessionExpired, tiktokLogId, Transient, UpstreamError, type CreatePostResult } from '@pubcrawl/tiktok';
import type { WorkerContext } from '../context';
import { dispatchEvents } from '../events';
import { followUpEndedPost } from '../insights/follow-up';
import { rescheduleAt, type JobResult, type JobRun, type Rescheduled } from '../job-contract';
import {
  endPost,
  ensureStatusPoll,
  inFlightSettledAt,
  parkForExpiredSession,
  parkWithAccount,
  publishRetryAfterMs,
  sendWindowMs,
  statusHorizonMs,
  upstreamErrorCode,
} from '../publishing/outcomes';
import { pauseProviderForAll } from '../publishing/provider-pause';
import { senderFor, type PostSender } from '../publishing/senders';
import { accountHold, claimNeedsCapLock, creatorSettingsCheck, DAY_MS, dailyCapHold, dailyCapOpensAt, pendingShareHold } from '../publishing/account-holds';
import { publishLane, type PublishLane } from '../publishing/publish-lane';
import type { Processor } from './index';
import { toError } from '@pubcrawl/errors';

/**
 * Publishes one post, with an exactly-once effect on the provider:
 *
 * 1. `scheduled -> publishing` commits (attempts + 1, submittedAt) BEFORE the provider is called,
 *    and only the worker whose guarded transition succeeded makes the call.
 * 2. The answer's publish_id commits in ONE transaction with `publishing -> processing`.
 * 3. A job that finds `publishing` without a publish_id cannot know whether the call went out (the
 *    process died mid-call): the post becomes `unconfirmed` and is never re-sent automatically.
 *
 * Refusals (429, expired session, transient errors) prove the provider did nothing, so the post
 * goes back to `scheduled` (or parks) and may be sent again.
 */
export function createPublishProcessor(context: WorkerContext): Processor<'publish'> {
  return async (run) => {
    const { postId, generation } = run.payload;
    const lane = publishLane(context);
    const loaded = await findPostWithAccount(lane.db.db, postId);
    if (loaded === null) return { skipped: 'post not found' };
    const { post, account } = loaded;
    // A job of an older generation (an operator retried or the account was resumed since) must not
    // act: the current generation's own job does.
    if (generation !== post.generation) return { skipped: `stale generation ${generation}` };

    switch (post.status) {
      case 'scheduled':
        return submit(context, lane, run, post, account);
      case 'publishing':
        return resolveInterrupted(context, lane.db.db, post, account);
      case 'processing':
        // A retry of a job that crashed after recording the publish id: skip straight to polling.
        await ensureStatusPoll(context, post, context.env.PUBLISH_STATUS_FIRST_INTERVAL_MS);
        return { skipped: 'already submitted' };
      default:
        return { skipped: post.status };
    }
  };
}

type PublishRun = JobRun<'publish'>;

async function submit(context: WorkerContext, lane: PublishLane, run: PublishRun, post: PostRow, account: AccountRow): Promise<JobResult | Rescheduled> {
  const db = lane.db.db;
  if (account.status === 'reauth_required') {
    await parkWithAccount(context, post, ['scheduled'], db);
    return { parked: 'account reauth_required' };
  }
  if (account.status === 'deleted') {
    await transitionPost(db, post.id, ['scheduled'], 'cancelled', { code: 'account_deleted', message: 'the account was deleted', generation: post.generation });
    return { cancelled: 'account deleted' };
  }
  // Everything that can be decided without the provider is decided before `publishing` commits, so
  // the window in which a crash leaves the outcome unknown holds nothing but the provider's call.
  const built = senderFor(context, lane, post, account);
  if (!built.ok) {
    await endPost(context, post, ['scheduled'], 'failed', { code: built.code, message: built.message }, db);
    return { failed: built.code };
  }
  const { sender } = built;
  // The job is due a little before the post (PUBLISH_WAKE_AHEAD_MS); never send before its time.
  const early = post.scheduledAt.getTime() - Date.now();
  if (early > 2 * PUBLISH_WAKE_AHEAD_MS) return rescheduleAt(post.scheduledAt.getTime() - PUBLISH_WAKE_AHEAD_MS, 'the post is not due yet');

  const { hold, sentToday } = await accountHold(context, account, { draft: sender.isDraft });
  if (hold !== null) return holdPost(context, post, hold);
  const mismatches = await beforeClaim(context, post, account, () => withQuotaWaitShown(context, post, account, 'creatorInfo', () => creatorSettingsCheck(context, account, post)));
  if (mismatches.length > 0) {
    const message = `the creator's settings changed since the post was scheduled: ${mismatches.map((m) => `${m.field}: ${m.message}`).join('; ')}`;
    await endPost(context, post, ['scheduled'], 'failed', { code: 'creator_settings_changed', message }, db);
    return { failed: 'creator_settings_changed' };
  }

  while (Date.now() < post.scheduledAt.getTime()) await sleep(post.scheduledAt.getTime() - Date.now());

  await beforeClaim(context, post, account, () => withQuotaWaitShown(context, post, account, 'publish', () => sender.acquireQuota()));
  const prepared = await prepareOrFail(context, run, post, sender);
  if (prepared !== null) return prepared;

  try {
    const claimDetails = { code: 'submitting', message: null, attemptsDelta: 1, patch: { submittedAt: new Date(), waiting: null } };
    const claim = claimNeedsCapLock(context, sentToday)
      ? await claimWithinDailyCap(db, post, context.env.ACCOUNT_DAILY_POSTS, new Date(Date.now() - DAY_MS), claimDetails)
      : await claimPlain(db, post, claimDetails);
    if (claim.kind === 'gone') return { skipped: 'post moved on before submission' };
    if (claim.kind === 'capped') {
      const opensAt = dailyCapOpensAt(claim.submissions, context.env.ACCOUNT_DAILY_POSTS) ?? new Date(Date.now() + DAY_MS);
      return await holdPost(context, post, dailyCapHold(context.env.ACCOUNT_DAILY_POSTS, opensAt));
    }
    const claimed = claim.post;

    let result: CreatePostResult;
    try {
      result = await sender.send();
    } catch (caught) {
      return await handleRefusalOrUnknown(context, db, run, claimed, account, toError(caught));
    }
    const recorded = await recordSubmitted(context, db, claimed, account, result);
    if (recorded.row?.status === 'processing') await sender.afterSubmitted(recorded.row);
    return recorded.result;
  } finally {
    // Whatever happened, nothing more will be read from what `prepare` opened.
    sender.discard();
  }
}

/**
 * A step before the claim that needs the account's session. A refresh TikTok refused (or an
 * account parked meanwhile) parks this post and the account's others, before anything is sent.
 */
async function beforeClaim<T>(context: WorkerContext, post: PostRow, account: AccountRow, step: () => Promise<T>): Promise<T> {
  try {
    return await step();
  } catch (caught) {
    if (caught instanceof SessionExpired) await parkForExpiredSession(context, post, ['scheduled'], account, caught.message);
    throw caught;
  }
}

/**
 * Opens what the send needs (a file upload's media). Its failures come before the claim, so the
 * post stays `scheduled` for a transient one (BullMQ backs off) and fails with the reason otherwise.
 */
async function prepareOrFail(context: WorkerContext, run: PublishRun, post: PostRow, sender: PostSender): Promise<JobResult | null> {
  try {
    await sender.prepare();
    return null;
  } catch (caught) {
    const error = toError(caught);
    const code = error instanceof UpstreamError ? upstreamErrorCode(error) : 'media_unavailable';
    if (error instanceof Transient && !run.isLastAttempt) {
      await recordPostNote(context.db.db, post, { code, message: `could not open the media yet: ${error.message}` });
      throw error;
    }
    await endPost(context, post, ['scheduled'], 'failed', { code, message: `the media cannot be sent: ${error.message}` });
    return { failed: code };
  }
}

/**
 * Runs `step`; a quota wait it throws is shown on the post (`waiting`) before the runner delays the
 * job, so a post held for quota, whether to publish or to re-read creator_info first, says why.
 */
async function withQuotaWaitShown<T>(context: WorkerContext, post: PostRow, account: AccountRow, action: 'publish' | 'creatorInfo', step: () => Promise<T>): Promise<T> {
  try {
    return await step();
  } catch (caught) {
    if (caught instanceof QuotaWait) {
      const perAccount = caught.scope.kind === 'account';
      const at = new Date(caught.untilMs).toISOString();
      await recordPostWait(context.db.db, post, {
        reason: perAccount ? 'account_quota' : 'fleet_quota',
        until: new Date(caught.untilMs),
        message: perAccount ? `${accountLimitText(context, account, action)}; its next slot is at ${at}` : `the ${account.provider === 'tiktok' ? 'TikTok app' : 'posting API key'}'s request quota is used up; the next slot is at ${at}`,
      });
    }
    throw caught;
  }
}

function accountLimitText(context: WorkerContext, account: AccountRow, action: 'publish' | 'creatorInfo'): string {
  if (account.provider === 'tiktok') {
    return action === 'publish'
      ? `TikTok allows ${DEFAULT_QUOTA_LIMITS.publishPerMinute} post inits a minute per access token`
      : `TikTok allows ${DEFAULT_QUOTA_LIMITS.creatorInfoPerMinute} creator_info reads a minute per access token, and it is re-read before sending`;
  }
  return action === 'publish'
    ? `this account may publish ${context.env.ACCOUNT_PUBLISH_PER_MINUTE} posts a minute (ACCOUNT_PUBLISH_PER_MINUTE)`
    : `this account's creator_info may be read ${context.env.ACCOUNT_CREATOR_INFO_PER_MINUTE} times a minute, and it is re-read before sending`;
}

/** `scheduled -> publishing` in one statement, counting the attempt. */
async function claimPlain(db: Database, post: PostRow, details: TransitionDetails): Promise<CappedClaim> {
  const claimed = await transitionPost(db, post.id, ['scheduled'], 'publishing', { ...details, generation: post.generation });
  return claimed === null ? { kind: 'gone' } : { kind: 'claimed', post: claimed };
}

/** Leaves the post `scheduled` with its reason shown, and runs the job again when the hold may end. */
async function holdPost(context: WorkerContext, post: PostRow, hold: PostWait): Promise<Rescheduled> {
  await recordPostWait(context.db.db, post, hold);
  const recheckAt = Date.now() + context.env.ACCOUNT_WAIT_RECHECK_MS;
  return rescheduleAt(hold.until === null ? recheckAt : hold.until.getTime(), hold.message);
}

/**
 * Records the provider's answer. Retried a few times, because losing this write after the provider
 * accepted the post turns a published post into an unconfirmed one.
 */
async function recordSubmitted(context: WorkerContext, laneDb: Database, claimed: PostRow, account: AccountRow, result: CreatePostResult): Promise<{ result: JobResult; row: PostRow | null }> {
  const parsed = CreatePostResponse.safeParse(result.raw);
  const publicUrl = parsed.success ? (parsed.data.data.public_post_url ?? null) : null;
  const to = publicUrl === null ? 'processing' : 'published';
  const delays = [0, 250, 1_000, 3_000];
  let lastError: Error | null = null;
  for (const [attempt, delay] of delays.entries()) {
    if (delay > 0) await sleep(delay);
    try {
      // The first try uses the publish lane; if that pool is unusable, the shared one.
      const db = attempt === 0 ? laneDb : context.db.db;
      const outcome = await writeSubmitted(context, db, claimed, account, result, to, publicUrl);
      if (outcome.row?.status === 'processing') await ensureStatusPoll(context, outcome.row, context.env.PUBLISH_STATUS_FIRST_INTERVAL_MS);
      await dispatchEvents(context, [outcome.delivery]);
      await followUpEndedPost(context, outcome.row);
      return { result: { publishId: result.publishId, status: outcome.row?.status ?? 'late' }, row: outcome.row };
    } catch (caught) {
      lastError = toError(caught);
      context.logger.warn({ err: lastError, postId: claimed.id, publishId: result.publishId }, 'could not record the publish id yet; retrying');
    }
  }
  context.logger.error({ err: lastError, postId: claimed.id, publishId: result.publishId }, 'the provider accepted the post but the publish id could not be recorded');
  throw lastError ?? new Error('could not record the publish id');
}

async function writeSubmitted(
  context: WorkerContext,
  db: Database,
  claimed: PostRow,
  account: AccountRow,
  result: CreatePostResult,
  to: 'processing' | 'published',
  publicUrl: string | null,
): Promise<{ row: PostRow | null; delivery: string | null }> {
  const details = {
    code: 'submitted',
    message: null,
    data: { publishId: result.publishId, mediaType: result.mediaType },
    patch: {
      publishId: result.publishId,
      publicUrl,
      pollDeadlineAt: new Date(Date.now() + statusHorizonMs(context, account.provider)),
      lastErrorCode: null,
      lastErrorMessage: null,
    },
  };
  // `unconfirmed` too: an answer that arrives after the post was given up for lost is the truth.
  const from = ['publishing', 'unconfirmed'] as const;
  // The common case is one statement with no transaction around it: this write closes the window in
  // which a crash would leave the post unconfirmed, so it should not wait for more round trips.
  const needsEvent = postWebhookKey(to) !== undefined && context.env.WEBHOOK_URL !== undefined;
  if (!needsEvent) {
    const row = await transitionPost(db, claimed.id, from, to, details);
    if (row !== null) return { row, delivery: null };
  }
  return db.transaction(async (tx) => {
    const row = needsEvent ? await transitionPost(tx, claimed.id, from, to, details) : null;
    if (row !== null) {
      return { row, delivery: await recordPostWebhook(tx, row, context.env.WEBHOOK_URL) };
    }
    const current = await lockPost(tx, claimed.id);
    // Our own earlier attempt at this write committed after all (its connection broke after COMMIT).
    if (current === null || current.publishId === result.publishId) return { row: current, delivery: null };
    // An operator retried (or cancelled) the post meanwhile. Keep the fact on its timeline.
    await recordPostNote(tx, current, {
      code: 'late_publish_id',
      message: `the provider accepted generation ${claimed.generation} as ${result.publishId} after the post had moved on`,
      data: { publishId: result.publishId, generation: claimed.generation },
    });
    return { row: null, delivery: null };
  });
}

/**
 * The provider did not accept the post. Which error class it is decides whether the request was
 * refused (safe to send again later) or may have been acted on (never re-sent). This records the
 * post's side; the runner then does the job's (wait, retry, fail) from the same error.
 */
async function handleRefusalOrUnknown(context: WorkerContext, db: Database, run: PublishRun, claimed: PostRow, account: AccountRow, error: Error): Promise<JobResult | Rescheduled> {
  // A refused request is not an attempt: the provider did nothing with it.
  const uncount = { attemptsDelta: -1, patch: { submittedAt: null } };

  // Our own limiter refused the second try of a refreshed token: TikTok saw nothing of it.
  if (error instanceof QuotaWait) {
    await transitionPost(db, claimed.id, ['publishing'], 'scheduled', { code: 'quota_wait', message: error.message, ...uncount });
    throw error;
  }

  if (error instanceof RateLimited) {
    const scope = error.scope ?? accountScope('publish', account.externalId);
    const waitMs = publishRetryAfterMs(error);
    await context.limiter.block(scope, waitMs);
    const until = new Date(Date.now() + waitMs);
    const appWide = error.code === ACTIVE_USER_CAP_CODE;
    if (appWide) await pauseProviderForAll(context, account.provider, until, error);
    const back = await transitionPost(db, claimed.id, ['publishing'], 'scheduled', { code: appWide ? ACTIVE_USER_CAP_CODE : 'rate_limited', message: error.message, data: { retryAfterMs: waitMs, ...logIdOf(error) }, ...uncount });
    if (back !== null) {
      await recordPostWait(
        context.db.db,
        back,
        appWide
          ? { reason: 'provider_paused', until, message: `TikTok's app reached its daily cap of publishing users (reached_active_user_cap); every tiktok account waits until ${until.toISOString()}` }
          : { reason: 'rate_limited', until, message: `the provider answered 429 (rate limited); retrying after ${waitMs} ms` },
      );
    }
    // The runner leaves the job in `delayed`, attempts unspent, and never before the provider said to.
    throw new QuotaWait(Date.now() + waitMs, scope, waitMs);
  }

  if (error instanceof DailyCapReached && error.code === PENDING_SHARE_CODE) {
    // Too many inbox uploads the creator has not opened: only this account's drafts wait, and
    // direct posts go on. TikTok does not say when it lifts; the hold is re-checked after it.
    const until = new Date(Date.now() + context.env.TIKTOK_PENDING_SHARE_HOLD_MS);
    await holdAccountInboxUntil(db, account.id, until);
    const back = await transitionPost(db, claimed.id, ['publishing'], 'scheduled', { code: PENDING_SHARE_CODE, message: error.message, data: { until: until.toISOString(), ...logIdOf(error) }, ...uncount });
    if (back === null) return { skipped: 'post moved on after a pending-share refusal' };
    return holdPost(context, back, pendingShareHold(until));
  }

  if (error instanceof DailyCapReached) {
    // This account alone stops until its rolling day has room; other accounts are not held up,
    // and the post keeps its attempt: TikTok did nothing with it.
    const submissions = await accountSubmissionsSince(db, account.id, new Date(Date.now() - DAY_MS), 1);
    const until = dailyCapOpensAt(submissions, 1) ?? new Date(Date.now() + DAY_MS);
    await holdAccountUntil(db, account.id, until);
    const back = await transitionPost(db, claimed.id, ['publishing'], 'scheduled', { code: 'daily_cap', message: error.message, data: { until: until.toISOString(), ...logIdOf(error) }, ...uncount });
    const hold: PostWait = {
      reason: 'daily_cap',
      until,
      message: `TikTok refused the post as too many for this account today (spam_risk_too_many_posts); it goes at ${until.toISOString()}`,
    };
    if (back !== null) return holdPost(context, back, hold);
    return { skipped: 'post moved on after a daily-cap refusal' };
  }

  if (error instanceof SessionExpired) {
    await parkForExpiredSession(context, claimed, ['publishing'], account, error.message, uncount, db);
    throw error;
  }

  if (error instanceof Transient) {
    const lastAttempt = claimed.attempts >= context.env.PUBLISH_ATTEMPTS || run.isLastAttempt;
    const code = upstreamErrorCode(error);
    if (lastAttempt) {
      await endPost(context, claimed, ['publishing'], 'failed', { code, message: `gave up after ${claimed.attempts} attempts: ${error.message}` }, db);
      return { failed: code };
    }
    await transitionPost(db, claimed.id, ['publishing'], 'scheduled', {
      code,
      message: error.message,
      patch: { submittedAt: null, lastErrorCode: code, lastErrorMessage: error.message },
    });
    // BullMQ retries it with exponential backoff and full jitter (the job catalog's policy).
    throw error;
  }

  if (error instanceof Permanent) {
    const code = upstreamErrorCode(error);
    // Refused outright: the provider published nothing, so the attempt is given back with the reason.
    await endPost(context, claimed, ['publishing'], 'failed', { code, message: error.message, data: { ...(error.httpStatus === undefined ? {} : { httpStatus: error.httpStatus }), ...logIdOf(error) }, attemptsDelta: uncount.attemptsDelta }, db);
    throw error;
  }

  // Ambiguous, or something we did not expect from the call: either way the request may have
  // reached the provider, so the only safe answer is to say so and never send it again.
  const message = error instanceof UpstreamError ? error.message : `the publish call ended with an unexpected error: ${error.message}`;
  await endPost(context, claimed, ['publishing'], 'unconfirmed', { code: error instanceof Ambiguous ? upstreamErrorCode(error) : 'outcome_unknown', message }, db);
  return { unconfirmed: true };
}

/** TikTok's `log_id` for the record (support asks for it); absent for other providers. */
function logIdOf(error: UpstreamError): { logId?: string } {
  const logId = error.upstream === 'tiktok' ? tiktokLogId(error) : undefined;
  return logId === undefined ? {} : { logId };
}

/**
 * The post is `publishing`: a previous run of this job (or a twin enqueued after a Redis flush)
 * claimed it and then stopped hearing from it. With a publish id, only polling is left. Without
 * one, the call may be live in another process, so wait until it must have ended; after that the
 * outcome is unknown for good.
 */
async function resolveInterrupted(context: WorkerContext, db: Database, post: PostRow, account: AccountRow): Promise<JobResult | Rescheduled> {
  if (post.publishId !== null) {
    const row = await transitionPost(db, post.id, ['publishing'], 'processing', {
      code: 'submitted',
      message: 'publish id found on a retried job',
      patch: { pollDeadlineAt: new Date(Date.now() + statusHorizonMs(context, account.provider)) },
    });
    if (row !== null) await ensureStatusPoll(context, row, 0);
    return { resumed: 'polling' };
  }
  const settledAt = inFlightSettledAt(post, sendWindowMs(context, account.provider));
  if (Date.now() < settledAt) return rescheduleAt(settledAt, 'a publish call for this post may still be in flight');
  await endPost(
    context,
    post,
    ['publishing'],
    'unconfirmed',
    {
      code: 'outcome_unknown',
      message:
        'the worker stopped while the publish call was in flight (crash, kill or lost Redis state); the provider may or may not have the post, so it is not re-sent automatically',
    },
    db,
  );
  return { unconfirmed: true };
}
