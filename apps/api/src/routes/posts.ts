import { findPost, postEventView, postTimeline, postView } from '@pubcrawl/db';
import {
  buildCreatePostInputSchema,
  createPostHeadersSchema,
  editPostBodySchema,
  errorEnvelopeSchema,
  listPostsQuerySchema,
  pageOf,
  postBatchBodySchema,
  postBatchResponseSchema,
  postDetailSchema,
  postSchema,
  postWithWarningsSchema,
  resolvePostBodySchema,
  trackPublishBodySchema,
  uuidParamsSchema,
  type CreatePostRules,
} from '@pubcrawl/contracts';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { ApiContext } from '../context';
import { invalidInput, notFound } from '../errors';
import { createPostBatch } from '../services/post-batches';
import { editPost } from '../services/post-edits';
import { cancelPost, createPost, listPosts, pollPostNow, resolveUnconfirmedPost, retryPost, trackPublish } from '../services/posts';

const errors = { 400: errorEnvelopeSchema, 404: errorEnvelopeSchema };

export const postsRoutes = (context: ApiContext): FastifyPluginAsyncZod =>
  async function postsPlugin(app) {
    const { db } = context.db;
    const mediaHosts = context.env.MEDIA_HOSTS.split(',')
      .map((host) => host.trim())
      .filter((host) => host.length > 0);
    const rules: CreatePostRules = { mediaHosts, allowPrivateHosts: context.env.MEDIA_ALLOW_PRIVATE_HOSTS };
    const createPostBodySchema = buildCreatePostInputSchema(rules);

    app.post(
      '/posts',
      {
        schema: {
          summary:
            "Schedule a post. 202 when created, with `warnings` when the account's limits cannot meet the time; 200 when an Idempotency-Key replays an earlier identical request; 409 duplicate_content for the same content on the same account within DUPLICATE_WINDOW_HOURS unless allowDuplicate",
          headers: createPostHeadersSchema,
          body: createPostBodySchema,
          response: { 200: postWithWarningsSchema, 202: postWithWarningsSchema, 409: errorEnvelopeSchema, ...errors },
        },
      },
      async (request, reply) => {
        const { post, replayed, warnings } = await createPost(context, request.body, request.headers['idempotency-key']);
        return reply.status(replayed ? 200 : 202).send({ ...postView(post), warnings });
      },
    );

    app.post(
      '/posts/batch',
      {
        schema: {
          summary:
            'Schedule up to 500 posts. 207 with one result per item, by index: 202 with the post, or 400/409 with fields named from the batch body (posts.3.mediaItems.0.url). The valid items are created together; an Idempotency-Key replays the stored answer (replayed: true), a different body under it is a 409',
          headers: createPostHeadersSchema,
          body: postBatchBodySchema,
          response: { 207: postBatchResponseSchema, 409: errorEnvelopeSchema, ...errors },
        },
        // The items are checked one by one, so only the top level can make the whole batch a 400; a
        // body that is not an object at all names the one field the caller has to send.
        preValidation: async (request) => {
          const body: unknown = request.body;
          if (body === null || typeof body !== 'object' || Array.isArray(body)) {
            throw invalidInput('Invalid field: posts', { posts: 'send a JSON object {"posts": [...]} with 1-500 POST /v1/posts bodies' });
          }
        },
      },
      async (request, reply) => reply.status(207).send(await createPostBatch(context, rules, request.body.posts, request.headers['idempotency-key'])),
    );

    app.patch(
      '/posts/:id',
      {
        schema: {
          summary:
            'Edit or reschedule a post that has not started (scheduled or parked): any of content, mediaItems, mediaType, photoTitle, scheduledAt, settings. The result is validated like a create; the old time can no longer fire once this answers. 409 once publishing has started',
          params: uuidParamsSchema,
          body: editPostBodySchema,
          response: { 200: postWithWarningsSchema, 409: errorEnvelopeSchema, ...errors },
        },
      },
      async (request) => {
        const { post, warnings } = await editPost(context, rules, request.params.id, request.body);
        return { ...postView(post), warnings };
      },
    );

    app.get(
      '/posts',
      {
        schema: {
          summary: 'List posts, newest first (keyset pagination), optionally by status and account',
          querystring: listPostsQuerySchema,
          response: { 200: pageOf(postSchema), ...errors },
        },
      },
      async (request) => {
        const page = await listPosts(context, request.query);
        return { items: page.items.map(postView), nextCursor: page.nextCursor };
      },
    );

    app.get(
      '/posts/:id',
      {
        schema: {
          summary: 'One post: status, publishId, publicUrl, attempts, error and its timeline of events',
          params: uuidParamsSchema,
          response: { 200: postDetailSchema, ...errors },
        },
      },
      async (request) => {
        const post = await findPost(db, request.params.id);
        if (post === null) throw notFound('Post');
        const events = await postTimeline(db, post.id);
        return { ...postView(post), events: events.map(postEventView) };
      },
    );

    app.delete(
      '/posts/:id',
      {
        schema: {
          summary: 'Cancel a post that has not started (scheduled or parked); 409 otherwise',
          params: uuidParamsSchema,
          response: { 200: postSchema, 409: errorEnvelopeSchema, ...errors },
        },
      },
      async (request) => postView(await cancelPost(context, request.params.id)),
    );

    app.post(
      '/posts/:id/retry',
      {
        schema: {
          summary: 'Deliberately send a failed or unconfirmed post again (an unconfirmed one may then exist twice); 409 otherwise',
          params: uuidParamsSchema,
          response: { 202: postSchema, 409: errorEnvelopeSchema, ...errors },
        },
      },
      async (request, reply) => reply.status(202).send(postView(await retryPost(context, request.params.id))),
    );

    app.post(
      '/posts/:id/resolve',
      {
        schema: {
          summary: 'Record what an operator found on TikTok for an unconfirmed post: published (optionally with its publish id or URL) or not published; 409 otherwise',
          params: uuidParamsSchema,
          body: resolvePostBodySchema,
          response: { 200: postSchema, 409: errorEnvelopeSchema, ...errors },
        },
      },
      async (request) => postView(await resolveUnconfirmedPost(context, request.params.id, request.body)),
    );

    app.post(
      '/posts/:id/poll',
      {
        schema: {
          summary: 'Re-check a processing post with the provider now, instead of at its next polling step; 409 otherwise',
          params: uuidParamsSchema,
          response: { 202: postSchema, 409: errorEnvelopeSchema, ...errors },
        },
      },
      async (request, reply) => reply.status(202).send(postView(await pollPostNow(context, request.params.id))),
    );

    app.post(
      '/posts/track',
      {
        schema: {
          summary: 'Follow a publish made elsewhere (its publish_id) to published or failed; it is polled, never sent',
          body: trackPublishBodySchema,
          response: { 202: postSchema, 409: errorEnvelopeSchema, ...errors },
        },
      },
      async (request, reply) => reply.status(202).send(postView(await trackPublish(context, request.body))),
    );
  };
