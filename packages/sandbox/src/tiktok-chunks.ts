/**
 * TikTok's FILE_UPLOAD chunk rules (content-posting-api-media-transfer-guide). MB is read as MiB:
 * the guide does not say, and the binary reading is the stricter one at the 5 MB floor, so a client
 * that passes here passes under either reading.
 */
export const MIB = 1024 * 1024;
export const MIN_CHUNK_BYTES = 5 * MIB;
export const MAX_CHUNK_BYTES = 64 * MIB;
export const MAX_FINAL_CHUNK_BYTES = 128 * MIB;
export const MAX_CHUNKS = 1000;

export interface ChunkDeclaration {
  videoSize: number;
  chunkSize: number;
  totalChunkCount: number;
}

export type ChunkCheck = { ok: true } | { ok: false; message: string };

/** The byte range `[start, end]` (inclusive) chunk `index` must carry. */
export function chunkRange(declaration: ChunkDeclaration, index: number): { start: number; end: number } {
  const start = index * declaration.chunkSize;
  // The final chunk absorbs the trailing bytes, which is why it may exceed chunk_size.
  const end = index === declaration.totalChunkCount - 1 ? declaration.videoSize - 1 : start + declaration.chunkSize - 1;
  return { start, end };
}

export function checkChunkDeclaration({ videoSize, chunkSize, totalChunkCount }: ChunkDeclaration): ChunkCheck {
  if (videoSize < 1) return { ok: false, message: 'video_size must be at least 1 byte' };
  if (totalChunkCount < 1 || totalChunkCount > MAX_CHUNKS) return { ok: false, message: `total_chunk_count must be between 1 and ${MAX_CHUNKS}` };
  if (videoSize < MIN_CHUNK_BYTES) {
    if (chunkSize !== videoSize || totalChunkCount !== 1) return { ok: false, message: 'a video under 5 MB must be uploaded whole: chunk_size = video_size and total_chunk_count = 1' };
    return { ok: true };
  }
  if (chunkSize < MIN_CHUNK_BYTES || chunkSize > MAX_CHUNK_BYTES) return { ok: false, message: 'chunk_size must be between 5 MB and 64 MB' };
  if (chunkSize > videoSize) return { ok: false, message: 'chunk_size must not exceed video_size' };
  const expected = Math.floor(videoSize / chunkSize);
  if (totalChunkCount !== expected) return { ok: false, message: `total_chunk_count must be floor(video_size / chunk_size) = ${expected}` };
  if (videoSize > MAX_CHUNK_BYTES && totalChunkCount < 2) return { ok: false, message: 'a video over 64 MB must be uploaded in several chunks' };
  const final = chunkRange({ videoSize, chunkSize, totalChunkCount }, totalChunkCount - 1);
  if (final.end - final.start + 1 > MAX_FINAL_CHUNK_BYTES) return { ok: false, message: 'the final chunk must not exceed 128 MB' };
  return { ok: true };
}

/** `bytes a-b/total` → numbers, or null when the header is not that shape. */
export function parseContentRange(header: string | undefined): { start: number; end: number; total: number } | null {
  const match = /^bytes (\d+)-(\d+)\/(\d+)$/.exec(header?.trim() ?? '');
  if (match?.[1] === undefined || match[2] === undefined || match[3] === undefined) return null;
  const [start, end, total] = [Number(match[1]), Number(match[2]), Number(match[3])];
  return start <= end && end < total ? { start, end, total } : null;
}
