import { findPost, postEventView, postTimeline, postView } from '@pubcrawl/db';
import { buildCreatePostBodySchema, createPostHeadersSchema, errorEnvelopeSchema, listPostsQuerySchema, pageOf, postDetailSchema, postSchema, resolvePostBodySchema, trackPublishBodySchema, uuidParamsSchema } from '@pubcrawl/contracts';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { ApiContext } from '../context';
import { notFound } from '../errors';
import { cancelPost, createPost, listPosts, pollPostNow, resolveUnconfirmedPost, retryPost, trackPublish } from '../services/posts';

const errors = { 400: errorEnvelopeSchema, 404: errorEnvelopeSchema };

export const postsRoutes = (context: ApiContext): FastifyPluginAsyncZod =>
  async function postsPlugin(app) {
    const { db } = context.db;
    const mediaHosts = context.env.MEDIA_HOSTS.split(',')
      .map((host) => host.trim())
      .filter((host) => host.length > 0);
    const createPostBodySchema = buildCreatePostBodySchema({ mediaHosts, allowPrivateHosts: context.env.MEDIA_ALLOW_PRIVATE_HOSTS });

    app.post(
      '/posts',
      {
        schema: {
          summary: 'Schedule a post. 202 when created; 200 when an Idempotency-Key replays an earlier identical request',
          headers: createPostHeadersSchema,
          body: createPostBodySchema,
          response: { 200: postSchema, 202: postSchema, 409: errorEnvelopeSchema, ...errors },
        },
      },
      async (request, reply) => {
        const { post, replayed } = await createPost(context, request.body, request.headers['idempotency-key']);
        return reply.status(replayed ? 200 : 202).send(postView(post));
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
