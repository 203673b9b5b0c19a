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
} as const;

function mix32(value: number): number {
  let x = value | 0;
  x = Math.imul(x ^ (x >>> 16), 0x7feb352d);
  x = Math.imul(x ^ (x >>> 15), 0x846ca68b);
  return (x ^ (x >>> 16)) >>> 0;
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
    const next = (left + (mix32(right ^ (key + Math.imul(round, 0x9e3779b9))) % HALF)) % HALF;
    left = right;
    right = next;
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

/** Real secUids start with this; keeping it makes sandbox values pass any client-side shape check. */
const SEC_UID_PREFIX = 'MS4wLjABAAAA';

/** Who a secUid names: `user_N`, a generated fan, or the own profile of a free-form account key. */
export type SecUidSubject = { kind: 'user'; n: number } | { kind: 'fan'; seed: Seed } | { kind: 'account'; seed: Seed };

function secUidPayload(subject: SecUidSubject): string {
  switch (subject.kind) {
    case 'user':
      return `sbx:u:${subject.n}`;
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
  if (!secUid.startsWith(SEC_UID_PREFIX) || secUid.length > 120) return null;
  const payload = Buffer.from(secUid.slice(SEC_UID_PREFIX.length), 'base64url').toString('latin1');
  const subject = subjectFromPayload(payload);
  // base64url decoding is lenient; re-encoding rejects near-misses so each subject has one secUid.
  if (subject === null || encodeSecUid(subject) !== secUid) return null;
  return subject;
}

function subjectFromPayload(payload: string): SecUidSubject | null {
  const user = /^sbx:u:(\d+)$/.exec(payload);
  if (user?.[1] !== undefined) {
    const n = parseCanonicalInt(user[1]);
    return n === null ? null : { kind: 'user', n };
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
