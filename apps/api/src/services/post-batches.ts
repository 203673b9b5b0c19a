import { buildCreatePostInputSchema, resolveMediaType, storedRequestOf, type CreatePostRules, type PostBatchResponse, type PostBatchResult } from '@pubcrawl/contracts';
import { duplicateOf, findAccountsByIds, findDuplicatePosts, findPostBatch, insertPostBatch, isUniqueViolation, postView, type ContentKey, type GuardedPostRow, type PostRow } from '@pubcrawl/db';
import { toError } from '@pubcrawl/errors';
import { enqueuePublishes } from '@pubcrawl/queue';
import type { ApiContext } from '../context';
import { conflict } from '../errors';
import { accountLimits, accountProblem, batchPreflight, duplicateMessage, duplicateSince, issueFields, withPrefix } from './post-checks';
import { batchHash, contentHash, requestHash } from './post-hashes';
import { limitWarnings } from './post-limits';

type ItemError = Extract<PostBatchResult, { error: unknown }>;

const invalidItem = (index: number, fields: Record<string, string>): ItemError => {
  const names = Object.keys(fields);
  return { index, status: 400, error: { code: 'invalid_input', message: `Invalid ${names.length === 1 ? 'field' : 'fields'}: ${names.join(', ')}`, fields } };
};

const duplicateItem = (index: number, earlier: string): ItemError => ({
  index,
  status: 409,
  error: { code: 'duplicate_content', message: duplicateMessage(earlier), fields: { [`posts.${index}.content`]: `duplicate of ${earlier.startsWith('posts.') ? earlier : `post ${earlier}`}` }, duplicateOf: earlier },
});

/** An item that passed every check: what will be inserted, and what its answer says besides. */
interface AcceptedItem {
  index: number;
  row: GuardedPostRow;
  key: ContentKey;
  warnings: string[];
}

function storedAnswer(stored: unknown, hash: string, storedHash: string): PostBatchResponse {
  if (storedHash !== hash) throw conflict('This Idempotency-Key was already used with a different batch', { 'idempotency-key': 'already used with a different body' });
  return { ...(stored as PostBatchResponse), replayed: true };
}

/**
 * Creates many posts in one request. Each item is checked as `POST /v1/posts` checks a body
 * (schema, account, creator settings, duplicate guard, which also compares the batch's own earlier
 * items), and answered by its index; the valid ones are inserted in ONE transaction (one multi-row
 * insert of posts and one of events) together with the stored answer when an Idempotency-Key is
 * given, then enqueued in one Redis round trip. A replay with the same key and body returns the
 * stored answer and creates nothing; the same key with another body is a 409.
 */
export async function createPostBatch(context: ApiContext, rules: CreatePostRules, items: readonly unknown[], idempotencyKey: string | undefined): Promise<PostBatchResponse> {
  const hash = batchHash(items);
  if (idempotencyKey !== undefined) {
    const existing = await findPostBatch(context.db.db, idempotencyKey);
    if (existing !== null) return storedAnswer(existing.response, hash, existing.requestHash);
  }

  const schema = buildCreatePostInputSchema(rules);
  const results = new Map<number, PostBatchResult>();
  const parsed = items.map((item, index) => {
    const checked = schema.safeParse(item);
    if (!checked.success) results.set(index, invalidItem(index, issueFields(checked.error.issues, `posts.${index}.`)));
    return checked.success ? checked.data : null;
  });

  const accounts = await findAccountsByIds(
    context.db.db,
    parsed.flatMap((input) => (input === null ? [] : [input.accountId])),
  );
  const preflight = batchPreflight(context);
  const candidates: AcceptedItem[] = [];
  for (const [index, input] of parsed.entries()) {
    if (input === null) continue;
    const prefix = `posts.${index}.`;
    const account = accounts.get(input.accountId);
    const problem = accountProblem(account);
    const mediaType = resolveMediaType(input);
    if (account === undefined || problem !== null) {
      results.set(index, invalidItem(index, { [`${prefix}accountId`]: problem ?? 'no account with this id' }));
      continue;
    }
    if (mediaType === null) {
      results.set(index, invalidItem(index, { [`${prefix}mediaType`]: 'cannot tell whether this is a video or photos; set mediaType' }));
      continue;
    }
    const creator = await preflight(account, { settings: input.settings, mediaType });
    if (Object.keys(creator.issues).length > 0) {
      results.set(index, invalidItem(index, withPrefix(creator.issues, prefix)));
      continue;
    }
    const request = storedRequestOf(input);
    const values = {
      accountId: account.id,
      request,
      mediaType,
      status: 'scheduled' as const,
      idempotencyKey: null,
      requestHash: requestHash(request),
      contentHash: contentHash(request),
      scheduledAt: request.scheduledAt === undefined ? new Date() : new Date(request.scheduledAt),
    };
    candidates.push({ index, row: { values, guarded: duplicateSince(context, input.allowDuplicate) !== null }, key: { accountId: account.id, contentHash: values.contentHash }, warnings: creator.warnings });
  }

  // Duplicates of stored posts are found in one query up front, so the answer can say which; the
  // transaction checks again under locks. An item identical to an earlier item of this batch is a
  // duplicate of that item, unless it says allowDuplicate itself.
  const since = duplicateSince(context, false);
  const stored = since === null ? new Map<string, string>() : await findDuplicatePosts(context.db.db, candidates.filter((item) => item.row.guarded).map((item) => item.key), since);
  const firstInBatch = new Map<string, number>();
  const accepted: AcceptedItem[] = [];
  for (const item of candidates) {
    const earlier = item.row.guarded ? (duplicateOf(stored, item.key) ?? firstInBatch.get(`${item.key.accountId}:${item.key.contentHash}`)) : undefined;
    if (earlier !== undefined) {
      results.set(item.index, duplicateItem(item.index, typeof earlier === 'number' ? `posts.${earlier}` : earlier));
      continue;
    }
    firstInBatch.set(`${item.key.accountId}:${item.key.contentHash}`, item.index);
    accepted.push(item);
  }

  const limits = await limitWarnings(
    context.db.db,
    accepted.map((item) => ({ accountId: item.key.accountId, at: Math.max(item.row.values.scheduledAt.getTime(), Date.now()) })),
    accountLimits(context),
  );

  const respond = (created: ReadonlyMap<number, PostRow>, duplicates: ReadonlyMap<number, string>): PostBatchResponse => {
    const answer = new Map(results);
    accepted.forEach((item, position) => {
      const earlier = duplicates.get(position);
      const post = created.get(position);
      if (earlier !== undefined) answer.set(item.index, duplicateItem(item.index, earlier));
      else if (post !== undefined) {
        const warning = limits[position];
        const warnings = [...(warning === null || warning === undefined ? [] : [warning]), ...item.warnings];
        answer.set(item.index, { index: item.index, status: 202, post: { ...postView(post), warnings } });
      }
    });
    return { results: items.map((_item, index) => answer.get(index) ?? invalidItem(index, { [`posts.${index}`]: 'was not checked' })), created: created.size, replayed: false };
  };

  let outcome: Awaited<ReturnType<typeof insertPostBatch>>;
  try {
    outcome = await insertPostBatch(context.db.db, {
      rows: accepted.map((item) => item.row),
      duplicateSince: since,
      idempotency: idempotencyKey === undefined ? null : { key: idempotencyKey, requestHash: hash },
      respond: ({ created, duplicates }) => respond(created, duplicates),
    });
  } catch (caught) {
    // An identical batch with the same key committed first: its answer is this one's.
    if (idempotencyKey !== undefined && isUniqueViolation(caught, 'post_batches_pkey')) {
      const existing = await findPostBatch(context.db.db, idempotencyKey);
      if (existing !== null) return storedAnswer(existing.response, hash, existing.requestHash);
    }
    throw caught;
  }

  const createdPosts = [...outcome.result.created.values()];
  try {
    await enqueuePublishes(context.queues, createdPosts);
  } catch (caught) {
    context.logger.warn({ err: toError(caught), posts: createdPosts.length }, "could not enqueue the batch's posts; the reconciler will");
  }
  return outcome.response as PostBatchResponse;
}
