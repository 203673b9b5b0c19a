/**
 * Identifier arithmetic. Everything the sandbox serves is derived from small numbers (N, i) so that
 * pages are pure functions of their inputs and survive restarts without storage.
 */

const HALF = 1_000_000_000;

/** A number in [0, 10^18) held as two 9-digit halves, so it stays exact in double arithmetic. */
export interface Seed {
  hi: number;
  lo: number;
}

/** Separate keys give unrelated-looking id spaces for users, fans, videos and so on. */
export const KEYS = {
  user: 0x1b873593,
  fan: 0x2c1b3c6d,
  tag: 0x297a2d39,
  video: 0x3c6ef372,
  author: 0x5bd1e995,
  music: 0x68e31da4,
  account: 0x7feb352d,
  post: 0x165667b1,
  private: 0x4cf5ad43,
  named: 0x1d8e4e27,
} as const;

function mix32(value: number): number {
  let x = value | 0;
  x = Math.imul(x ^ (x >>> 16), 0x7feb352d);
  x = Math.imul(x ^ (x >>> 15), 0x846ca68b);
  return (x ^ (x >>> 16)) >>> 0;
}

function roundFunction(half: number, key: number, round: number): number {
  return mix32(half ^ (key + Math.imul(round, 0x9e3779b9))) % HALF;
}

/**
 * A 4-round Feistel network over [0, 10^18). It is a bijection, so distinct inputs give distinct ids
 * without a lookup table, and it runs on plain numbers because it sits on the hot path of every
 * follower page (a BigInt version was several times slower).
 */
export function permute(seed: Seed, key: number): Seed {
  let left = seed.hi;
  let right = seed.lo;
  for (let round = 0; round < 4; round++) {
    const next = (left + roundFunction(right, key, round)) % HALF;
    left = right;
    right = next;
  }
  return { hi: left, lo: right };
}

/** The inverse of `permute`: what lets a video id name its own source without a lookup table. */
export function unpermute(seed: Seed, key: number): Seed {
  let left = seed.hi;
  let right = seed.lo;
  for (let round = 3; round >= 0; round--) {
    const previous = (right - roundFunction(left, key, round) + HALF) % HALF;
    right = left;
    left = previous;
  }
  return { hi: left, lo: right };
}

/** `seed + i` modulo 10^18; `i` must be a non-negative safe integer. */
export function offsetSeed(seed: Seed, i: number): Seed {
  const low = seed.lo + (i % HALF);
  const carry = Math.floor(low / HALF) + Math.floor(i / HALF);
  return { hi: (seed.hi + carry) % HALF, lo: low % HALF };
}

export function seedFromNumber(n: number): Seed {
  return { hi: Math.floor(n / HALF) % HALF, lo: n % HALF };
}

/** FNV-1a twice with different offsets; for free-form strings such as account keys. */
export function seedFromText(text: string): Seed {
  let a = 0x811c9dc5;
  let b = 0x01000193 ^ 0x5f3759df;
  for (let index = 0; index < text.length; index++) {
    const code = text.charCodeAt(index);
    a = Math.imul(a ^ code, 0x01000193);
    b = Math.imul(b ^ code, 0x01000193) ^ (b >>> 13);
  }
  return { hi: mix32(a) % HALF, lo: mix32(b) % HALF };
}

/** A 19-digit TikTok-looking id: a leading non-zero digit then the seed's 18 digits. */
export function numericId(prefix: 5 | 6 | 7, seed: Seed): string {
  return `${prefix}${String(seed.hi).padStart(9, '0')}${String(seed.lo).padStart(9, '0')}`;
}

/** Canonical non-negative safe integer, no leading zeros; anything else is not a magic number. */
export function parseCanonicalInt(text: string): number | null {
  if (!/^(0|[1-9]\d{0,15})$/.test(text)) return null;
  const value = Number(text);
  return Number.isSafeInteger(value) ? value : null;
}

// --- secUid ------------------------------------------------------------------------------------

/** Room for a named subject with a long provider username; real secUids are about 76 characters. */
const MAX_SEC_UID_LENGTH = 400;

/** Real secUids start with this; keeping it makes sandbox values pass any client-side shape check. */
const SEC_UID_PREFIX = 'MS4wLjABAAAA';

/**
 * Who a secUid names: `user_N`, `private_N`, a generated fan, the own profile of a free-form account
 * key, or a posting account known only by its username (one the sandbox published to).
 */
export type SecUidSubject =
  | { kind: 'user'; n: number }
  | { kind: 'private'; n: number }
  | { kind: 'fan'; seed: Seed }
  | { kind: 'account'; seed: Seed }
  | { kind: 'named'; username: string };

function secUidPayload(subject: SecUidSubject): string {
  switch (subject.kind) {
    case 'user':
      return `sbx:u:${subject.n}`;
    case 'private':
      return `sbx:p:${subject.n}`;
    case 'named':
      return `sbx:n:${encodeURIComponent(subject.username)}`;
    case 'fan':
      return `sbx:f:${subject.seed.hi}:${subject.seed.lo}`;
    case 'account':
      return `sbx:k:${subject.seed.hi}:${subject.seed.lo}`;
  }
}

export function encodeSecUid(subject: SecUidSubject): string {
  return SEC_UID_PREFIX + Buffer.from(secUidPayload(subject), 'latin1').toString('base64url');
}

export function decodeSecUid(secUid: string): SecUidSubject | null {
  if (!secUid.startsWith(SEC_UID_PREFIX) || secUid.length > MAX_SEC_UID_LENGTH) return null;
  const payload = Buffer.from(secUid.slice(SEC_UID_PREFIX.length), 'base64url').toString('latin1');
  const subject = subjectFromPayload(payload);
  // base64url decoding is lenient; re-encoding rejects near-misses so each subject has one secUid.
  if (subject === null || encodeSecUid(subject) !== secUid) return null;
  return subject;
}

function subjectFromPayload(payload: string): SecUidSubject | null {
  const user = /^sbx:([up]):(\d+)$/.exec(payload);
  if (user?.[1] !== undefined && user[2] !== undefined) {
    const n = parseCanonicalInt(user[2]);
    if (n === null) return null;
    return user[1] === 'u' ? { kind: 'user', n } : { kind: 'private', n };
  }
  const named = /^sbx:n:(.+)$/.exec(payload);
  if (named?.[1] !== undefined) {
    try {
      return { kind: 'named', username: decodeURIComponent(named[1]) };
    } catch {
      return null;
    }
  }
  const other = /^sbx:([fk]):(\d{1,9}):(\d{1,9})$/.exec(payload);
  if (other?.[1] === undefined || other[2] === undefined || other[3] === undefined) return null;
  const seed = { hi: Number(other[2]), lo: Number(other[3]) };
  return other[1] === 'f' ? { kind: 'fan', seed } : { kind: 'account', seed };
}

// --- hashtag ids -------------------------------------------------------------------------------

function hashtagCheck(n: number): string {
  return String(mix32(n % 0x7fffffff ^ KEYS.tag) % 100).padStart(2, '0');
}

/** `1<N><2 check digits>`: N is recoverable, and random numeric ids almost never decode. */
export function encodeHashtagId(n: number): string {
  return `1${n}${hashtagCheck(n)}`;
}

export function decodeHashtagId(id: string): number | null {
  const match = /^1(\d+)(\d\d)$/.exec(id);
  if (match?.[1] === undefined || match[2] === undefined) return null;
  const n = parseCanonicalInt(match[1]);
  if (n === null || hashtagCheck(n) !== match[2]) return null;
  return n;
}

// --- video ids ---------------------------------------------------------------------------------

/** Where a generated video comes from: video `index` of `tag_N`, or post `index` (0 = oldest) of `user_N`. */
export type VideoSource = { kind: 'hashtag'; n: number; index: number } | { kind: 'user'; n: number; index: number };

const VIDEO_KINDS = { hashtag: 1, user: 2 } as const;
/** N and the index share the 18 digits a video id carries: N in the low 8 digits of `hi`, the index in `lo`. */
const PACKED_N_LIMIT = 100_000_000;

/**
 * The seed behind a generated video. Packing (kind, N, index) and permuting it keeps ids random-looking
 * while `decodeVideoId` can still answer `/public/video` without storage. Sources too large to pack
 * (N >= 10^8) get an unpacked seed; their videos list fine but `/public/video` does not know them.
 */
export function videoSeed(source: VideoSource): Seed {
  if (source.n < PACKED_N_LIMIT && source.index < HALF) {
    return permute({ hi: VIDEO_KINDS[source.kind] * PACKED_N_LIMIT + source.n, lo: source.index }, KEYS.video);
  }
  return permute(offsetSeed(permute(seedFromNumber(source.n), source.kind === 'hashtag' ? KEYS.tag : KEYS.user), source.index), KEYS.video);
}

export function decodeVideoId(id: string): VideoSource | null {
  const match = /^7(\d{9})(\d{9})$/.exec(id);
  if (match?.[1] === undefined || match[2] === undefined) return null;
  const packed = unpermute({ hi: Number(match[1]), lo: Number(match[2]) }, KEYS.video);
  const kind = Math.floor(packed.hi / PACKED_N_LIMIT);
  const n = packed.hi % PACKED_N_LIMIT;
  if (kind === VIDEO_KINDS.hashtag) return { kind: 'hashtag', n, index: packed.lo };
  if (kind === VIDEO_KINDS.user) return { kind: 'user', n, index: packed.lo };
  return null;
}
