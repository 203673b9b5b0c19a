import { z } from 'zod';

/** A count TikTok reported; null when the video could not be read at that offset (deleted, private). */
const count = z.number().int().nonnegative().nullable();

export const postMetricSnapshotSchema = z.object({
  offset: z.string().describe('The POST_METRICS_SCHEDULE offset this snapshot was taken for, e.g. "1h" or "7d"'),
  takenAt: z.string().describe('When it was taken (ISO 8601); later than due when the job waited for quota or the post was resolved late'),
  plays: count,
  likes: count,
  comments: count,
  shares: count,
});
export type PostMetricSnapshot = z.infer<typeof postMetricSnapshotSchema>;

export const postMetricsSchema = z
  .object({
    postId: z.uuid(),
    videoId: z.string().nullable().describe("TikTok's video id, from the public URL; null until the post is published with one"),
    snapshots: z.array(postMetricSnapshotSchema).describe('Oldest first'),
    pending: z.array(z.object({ offset: z.string(), dueAt: z.string() })).describe('Offsets still owed, soonest first'),
  })
  .describe("A published post's video stats at each offset of POST_METRICS_SCHEDULE after publishing");
export type PostMetrics = z.infer<typeof postMetricsSchema>;
