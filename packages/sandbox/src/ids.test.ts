import { describe, expect, it } from 'vitest';
import { decodeFollowerCursor, encodeLegacyFollowerCursor } from './cursors';
import { decodeHashtagId, decodeSecUid, decodeVideoId, encodeHashtagId, encodeSecUid, KEYS, numericId, offsetSeed, permute, unpermute, videoSeed } from './ids';

describe('permute', () => {
  it('never maps two neighbouring inputs to the same id', () => {
    const seen = new Set<string>();
    const base = { hi: 999_999_999, lo: 999_990_000 };
    for (let index = 0; index < 50_000; index++) seen.add(numericId(7, permute(offsetSeed(base, index), KEYS.fan)));
    expect(seen.size).toBe(50_000);
  });

  it('wraps offsets around 10^18 with the carry in the right place', () => {
    expect(offsetSeed({ hi: 5, lo: 999_999_999 }, 1)).toEqual({ hi: 6, lo: 0 });
    expect(offsetSeed({ hi: 999_999_999, lo: 999_999_999 }, 1)).toEqual({ hi: 0, lo: 0 });
    expect(offsetSeed({ hi: 1, lo: 2 }, 3_000_000_005)).toEqual({ hi: 4, lo: 7 });
  });
});

describe('secUid', () => {
  it('round-trips every kind of subject', () => {
    const subjects = [
      { kind: 'user', n: 0 },
      { kind: 'user', n: 1_000_000 },
      { kind: 'fan', seed: { hi: 12, lo: 999_999_999 } },
      { kind: 'account', seed: { hi: 0, lo: 7 } },
    ] as const;
    for (const subject of subjects) expect(decodeSecUid(encodeSecUid(subject))).toEqual(subject);
  });

  it('rejects real-looking secUids and near misses', () => {
    const valid = encodeSecUid({ kind: 'user', n: 95 });
    for (const secUid of [
      'MS4wLjABAAAAsHntXC3s0AvxcecggxsoVa4eAiT8OVafVZ4OQXxy-9htpnUi0sOYSr0kGGD1Loud',
      valid.slice(12),
      `${valid}=`,
      `${valid}A`,
      '',
    ]) {
      expect(decodeSecUid(secUid)).toBeNull();
    }
  });
});

describe('cursors and hashtag ids', () => {
  it('reads numeric follower cursors and still reads the old base64 tokens, but nothing else', () => {
    for (const slot of [0, 30, 999_990]) expect(decodeFollowerCursor(String(slot))).toBe(slot);
    for (const offset of [0, 30, 999_990]) expect(decodeFollowerCursor(encodeLegacyFollowerCursor(offset))).toBe(offset);
    for (const bad of ['not a cursor', '030', '-1', '1.5', '']) expect(decodeFollowerCursor(bad)).toBeNull();
  });

  it('recovers N from a hashtag id and rejects ids it did not mint', () => {
    for (const n of [0, 7, 70, 123_456_789]) expect(decodeHashtagId(encodeHashtagId(n))).toBe(n);
    const rejected = ['4655293', '1', '', 'abc'].filter((id) => decodeHashtagId(id) !== null);
    expect(rejected).toEqual([]);
  });
});

describe('video ids', () => {
  it('unpermute undoes permute', () => {
    for (const seed of [{ hi: 0, lo: 0 }, { hi: 123_456_789, lo: 987_654_321 }, { hi: 999_999_999, lo: 999_999_999 }]) {
      expect(unpermute(permute(seed, KEYS.video), KEYS.video)).toEqual(seed);
    }
  });

  it('decodes a generated video id back to its hashtag or user and index', () => {
    const sources = [
      { kind: 'hashtag', n: 70, index: 0 },
      { kind: 'hashtag', n: 99_999_999, index: 99_999_998 },
      { kind: 'user', n: 95, index: 12 },
      { kind: 'user', n: 1_000_000, index: 299 },
    ] as const;
    for (const source of sources) expect(decodeVideoId(numericId(7, videoSeed(source)))).toEqual(source);
    expect(decodeVideoId('abc')).toBeNull();
    expect(decodeVideoId('6000000000000000000')).toBeNull();
  });
});
