/**
 * How a FILE_UPLOAD is cut up, by the media-transfer guide's rules: every chunk 5-64 MB except the
 * last, which takes the trailing bytes (up to 128 MB); `total_chunk_count = floor(size / chunk)`;
 * 1 to 1000 chunks; under 5 MB, one chunk of the whole file.
 *
 * The guide does not say whether MB is 10^6 or 2^20, so the plan stays inside both readings: a file
 * of at most 64,000,000 bytes goes whole (at least 5 MB only matters above the floor, and one chunk
 * of the whole file is what TikTok asks below it), and larger files use chunks between 5 MiB and
 * 64,000,000 bytes.
 */
export const CHUNK_FLOOR_BYTES = 5 * 1024 * 1024;
export const CHUNK_CEILING_BYTES = 64_000_000;
export const MAX_CHUNK_COUNT = 1000;
/** TikTok's own example chunk size; small enough that one chunk in flight costs little memory. */
export const DEFAULT_CHUNK_BYTES = 10_000_000;

export interface ChunkPlan {
  videoSize: number;
  chunkSize: number;
  totalChunkCount: number;
}

export interface ChunkSpan {
  index: number;
  start: number;
  /** Inclusive, as in `Content-Range`. */
  end: number;
  length: number;
}

export class ChunkPlanError extends Error {
  override readonly name = 'ChunkPlanError';
}

export function planChunks(videoSize: number, preferredChunkSize: number = DEFAULT_CHUNK_BYTES): ChunkPlan {
  if (!Number.isSafeInteger(videoSize) || videoSize < 1) throw new ChunkPlanError(`video size must be a positive integer, got ${videoSize}`);
  if (videoSize <= CHUNK_CEILING_BYTES) return { videoSize, chunkSize: videoSize, totalChunkCount: 1 };
  let chunkSize = Math.min(CHUNK_CEILING_BYTES, Math.max(CHUNK_FLOOR_BYTES, Math.floor(preferredChunkSize)));
  // More than 1000 chunks: grow them; floor(size / ceil(size / 1000)) is then at most 1000.
  if (Math.floor(videoSize / chunkSize) > MAX_CHUNK_COUNT) chunkSize = Math.ceil(videoSize / MAX_CHUNK_COUNT);
  if (chunkSize > CHUNK_CEILING_BYTES) throw new ChunkPlanError(`a ${videoSize}-byte video needs chunks over 64 MB to stay within ${MAX_CHUNK_COUNT} chunks`);
  return { videoSize, chunkSize, totalChunkCount: Math.floor(videoSize / chunkSize) };
}

export function chunkSpans(plan: ChunkPlan): ChunkSpan[] {
  return Array.from({ length: plan.totalChunkCount }, (_, index) => {
    const start = index * plan.chunkSize;
    const end = index === plan.totalChunkCount - 1 ? plan.videoSize - 1 : start + plan.chunkSize - 1;
    return { index, start, end, length: end - start + 1 };
  });
}
