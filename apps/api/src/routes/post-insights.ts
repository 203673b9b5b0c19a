import { postMetricsView } from '@pubcrawl/db';
import { errorEnvelopeSchema, postMetricsSchema, uuidParamsSchema } from '@pubcrawl/contracts';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { ApiContext } from '../context';
import { notFound } from '../errors';

export const postInsightsRoutes = (context: ApiContext): FastifyPluginAsyncZod =>
  async function postInsightsPlugin(app) {
    app.get(
      '/posts/:id/metrics',
      {
        schema: {
          summary:
            "A published post's video stats (plays, likes, comments, shares) at each POST_METRICS_SCHEDULE offset after publishing, and the offsets still pending. Empty lists for a post that is not published with a video URL",
          params: uuidParamsSchema,
          response: { 200: postMetricsSchema, 400: errorEnvelopeSchema, 404: errorEnvelopeSchema },
        },
      },
      async (request) => {
        const view = await postMetricsView(context.db.db, request.params.id);
        if (view === null) throw notFound('Post');
        return {
          postId: view.postId,
          videoId: view.videoId,
          snapshots: view.snapshots.map((snapshot) => ({ ...snapshot, takenAt: snapshot.takenAt.toISOString() })),
          pending: view.pending.map((offset) => ({ offset: offset.offset, dueAt: offset.dueAt.toISOString() })),
        };
      },
    );
  };
