import { EDITABLE_POST_FIELDS, buildCreatePostBodySchema, postRequestSchema, resolveMediaType, type CreatePostRules, type EditPostBody } from '@pubcrawl/contracts';
import { QUEUE_NAMES } from '@pubcrawl/domain';
import { findAccount, findPost, recordPostEdit, type PostRow } from '@pubcrawl/db';
import { toError } from '@pubcrawl/errors';
import { enqueuePublish, jobIds } from '@pubcrawl/queue';
import type { ApiContext } from '../context';
import { conflict, invalidInput, notFound } from '../errors';
import { preflightCreatorSettings } from './creator-info';
import { accountLimits, duplicateContent, duplicateSince, editAccountProblem, issueFields } from './post-checks';
import { canonicalJson, contentHash, requestHash } from './post-hashes';
import { limitWarnings } from './post-limits';

export interface EditedPost {
  post: PostRow;
  warnings: string[];
}

const refusedFields = (fields: Record<string, string>) => {
  const names = Object.keys(fields);
  return invalidInput(`Invalid ${names.length === 1 ? 'field' : 'fields'}: ${names.join(', ')}`, fields);
};

/** The stored request with the edit laid over it; `null` in the edit removes an optional field. */
function merged(stored: Record<string, unknown>, edit: EditPostBody): Record<string, unknown> {
  const next: Record<string, unknown> = { ...stored };
  for (const field of EDITABLE_POST_FIELDS) {
    const value = edit[field];
    if (value === undefined) continue;
    if (value === null) delete next[field];
    else next[field] = value;
  }
  return next;
}

/**
 * Edits a post that has not started publishing (`scheduled`, or parked on its account). The merged
 * request is held to everything a create is (schema, media policy, account, creator settings,
 * duplicate guard) before anything is written; the write is one transaction guarded on the status
 * and generation (see recordPostEdit). After the commit the new generation's job is enqueued and
 * the old one removed; removal is only tidiness, since the old job skips a newer generation and its
 * claim is guarded on the generation, so the old time cannot fire once the edit has committed.
 */
export async function editPost(context: ApiContext, rules: CreatePostRules, postId: string, edit: EditPostBody): Promise<EditedPost> {
  const current = await findPost(context.db.db, postId);
  if (current === null) throw notFound('Post');
  if (current.status !== 'scheduled' && current.status !== 'reauth_required') {
    throw conflict(`The post is ${current.status}: only a scheduled (or parked) post can be edited`, { status: current.status });
  }
  const stored = postRequestSchema.safeParse(current.request);
  // A tracked publish has no request of ours; it is never `scheduled`, so this is belt and braces.
  if (!stored.success) throw conflict('This post has no request of ours to edit (a tracked publish)', { status: current.status });

  const checked = buildCreatePostBodySchema(rules).safeParse(merged(stored.data, edit));
  if (!checked.success) throw refusedFields(issueFields(checked.error.issues));
  const request = checked.data;
  const mediaType = resolveMediaType(request);
  if (mediaType === null) throw invalidInput('Invalid field: mediaType', { mediaType: 'cannot tell whether this is a video or photos; set mediaType' });

  const account = await findAccount(context.db.db, current.accountId);
  const problem = editAccountProblem(account);
  if (account === null || problem !== null) throw conflict(`The post's account cannot publish: ${problem ?? 'missing'}`, { accountId: problem ?? 'missing' });
  const preflight = await preflightCreatorSettings(context, account, { settings: request.settings, mediaType });
  if (Object.keys(preflight.issues).length > 0) throw refusedFields(preflight.issues);

  const changed = EDITABLE_POST_FIELDS.filter((field) => canonicalJson(stored.data[field]) !== canonicalJson(request[field]));
  const scheduledAt = edit.scheduledAt === undefined ? current.scheduledAt : new Date(edit.scheduledAt);
  const [limitWarning] = await limitWarnings(context.db.db, [{ accountId: account.id, at: Math.max(scheduledAt.getTime(), Date.now()) }], accountLimits(context), {
    excludePostId: current.id,
  });

  const outcome = await recordPostEdit(context.db.db, {
    postId: current.id,
    generation: current.generation,
    request,
    requestHash: requestHash(request),
    contentHash: contentHash(request),
    mediaType,
    scheduledAt,
    changed,
    duplicateSince: duplicateSince(context, edit.allowDuplicate),
  });
  switch (outcome.outcome) {
    case 'not_found':
      throw notFound('Post');
    case 'not_editable':
      throw conflict(`The post is ${outcome.status}: only a scheduled (or parked) post can be edited`, { status: outcome.status });
    case 'moved_on':
      throw conflict('The post changed while this edit was being checked; read it again and resend the edit', { generation: `is now ${outcome.generation}` });
    case 'duplicate':
      throw duplicateContent(outcome.duplicateOf);
    case 'edited':
      break;
  }
  const { post, previous } = outcome;

  try {
    // A parked post gets its job when its account is re-authorized (unparkPosts).
    if (post.status === 'scheduled') await enqueuePublish(context.queues, post);
  } catch (caught) {
    context.logger.warn({ err: toError(caught), postId }, 'could not enqueue the edited post; the reconciler will');
  }
  try {
    await context.queues[QUEUE_NAMES.publish].remove(`${jobIds.publish(post.id)}-${previous.generation}`);
  } catch (caught) {
    context.logger.debug({ err: toError(caught), postId }, "the previous generation's publish job could not be removed (it is running); it will skip itself");
  }
  return { post, warnings: [...(limitWarning === null || limitWarning === undefined ? [] : [limitWarning]), ...preflight.warnings] };
}
