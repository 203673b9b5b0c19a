import { profileHistory, profileKey, videoHistory } from '@pubcrawl/db';
import {
  errorEnvelopeSchema,
  historyQuerySchema,
  lookupQuerySchema,
  profileHistorySchema,
  profileLookupSchema,
  profileParamsSchema,
  videoHistorySchema,
  videoLookupSchema,
  videoParamsSchema,
} from '@pubcrawl/contracts';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { ApiContext } from '../context';
import { negotiateExportFormat, sendExportStream } from '../services/crawl-export';
import { profileHistoryStream, profilePoint, videoHistoryStream, videoPoint } from '../services/history-export';
import { lookUpProfile, lookUpVideo } from '../services/lookups';

const lookupErrors = { 400: errorEnvelopeSchema, 404: errorEnvelopeSchema, 502: errorEnvelopeSchema, 503: errorEnvelopeSchema };
const HISTORY_NOTE = 'JSON by default (at most `limit` points). With `Accept: application/x-ndjson` or `?format=ndjson`, or `Accept: text/csv` or `?format=csv`, streams every point in the range.';

/** Cached look-ups (seed 003's pattern) and the time series that look-ups and crawls record. */
export const insightsRoutes = (context: ApiContext): FastifyPluginAsyncZod =>
  async function insightsPlugin(app) {
    const { db } = context.db;

    app.get(
      '/profiles/:username',
      {
        schema: {
          summary: 'A TikTok profile, from the store when fresher than maxAge (default PROFILE_MAX_AGE_S), otherwise fetched once fleet-wide and stored with a stats snapshot',
          params: profileParamsSchema,
          querystring: lookupQuerySchema,
          response: { 200: profileLookupSchema, ...lookupErrors },
        },
      },
      async (request) => lookUpProfile(context, request.params.username, request.query.maxAge ?? context.env.PROFILE_MAX_AGE_S),
    );

    app.get(
      '/profiles/:username/history',
      { schema: { summary: "A profile's stats over time: followers, following, likes, videos", description: HISTORY_NOTE, params: profileParamsSchema, querystring: historyQuerySchema, response: { 200: profileHistorySchema, 400: errorEnvelopeSchema } } },
      async (request, reply) => {
        const username = profileKey(request.params.username);
        const range = { from: optionalDate(request.query.from), to: optionalDate(request.query.to) };
        const format = request.query.format ?? negotiateExportFormat(request.headers.accept);
        if (format !== 'json') {
          return sendExportStream(reply, request.log, profileHistoryStream(db, username, range, format), format, {
            logContext: { username },
          });
        }
        const rows = await profileHistory(db, username, { ...range, limit: request.query.limit });
        return { username, points: rows.map(profilePoint) };
      },
    );

    app.get(
      '/videos/:videoId',
      {
        schema: {
          summary: 'A TikTok video, from the store when fresher than maxAge (default VIDEO_MAX_AGE_S), otherwise fetched once fleet-wide and stored with a stats snapshot',
          params: videoParamsSchema,
          querystring: lookupQuerySchema,
          response: { 200: videoLookupSchema, ...lookupErrors },
        },
      },
      async (request) => lookUpVideo(context, request.params.videoId, request.query.maxAge ?? context.env.VIDEO_MAX_AGE_S),
    );

    app.get(
      '/videos/:videoId/history',
      { schema: { summary: "A video's stats over time, from look-ups, crawls and a published post's metric schedule", description: HISTORY_NOTE, params: videoParamsSchema, querystring: historyQuerySchema, response: { 200: videoHistorySchema, 400: errorEnvelopeSchema } } },
      async (request, reply) => {
        const { videoId } = request.params;
        const range = { from: optionalDate(request.query.from), to: optionalDate(request.query.to) };
        const format = request.query.format ?? negotiateExportFormat(request.headers.accept);
        if (format !== 'json') {
          return sendExportStream(reply, request.log, videoHistoryStream(db, videoId, range, format), format, {
            logContext: { videoId },
          });
        }
        const rows = await videoHistory(db, videoId, { ...range, limit: request.query.limit });
        return { videoId, points: rows.map(videoPoint) };
      },
    );
  };

function optionalDate(value: string | undefined): Date | undefined {
  return value === undefined ? undefined : new Date(value);
}
