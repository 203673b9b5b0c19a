import { describe, expect, it } from 'vitest';
import { decodePositionCursor, encodePositionCursor, MAX_ITEM_POSITION } from '../src/queries/crawl-items';
import { decodeCursor, encodeCursor } from '../src/queries/pagination';

const opaque = (value: unknown) => Buffer.from(typeof value === 'string' ? value : JSON.stringify(value)).toString('base64url');
const id = '3f0c6a52-7d1e-4b8e-9a4f-2c5d6e7f8a9b';

describe('decodeCursor', () => {
  it('reads back what encodeCursor wrote, for years 0001 to 9999', () => {
    for (const iso of ['0001-01-01T00:00:00.000Z', '2026-05-01T12:00:00.123Z', '9999-12-31T23:59:59.999Z']) {
      expect(decodeCursor(encodeCursor({ createdAt: new Date(iso), id }))).toEqual({ createdAt: new Date(iso), id });
    }
  });

  it('refuses garbage, a non-UUID id, a date outside 0001-9999, the wrong shape and stray characters', () => {
    const forged = [
      '!!!!',
      'not-base64-json',
      opaque({ t: '2026-05-01T12:00:00.000Z', i: 'nope' }),
      opaque({ t: '2026-05-01T12:00:00.000Z', i: "1' or '1'='1" }),
      opaque({ t: '0000-01-01T00:00:00.000Z', i: id }),
      opaque({ t: '+275760-09-13T00:00:00.000Z', i: id }),
      opaque({ t: '-000001-01-01T00:00:00.000Z', i: id }),
      opaque({ t: '2026-02-30T00:00:00.000Z', i: id }),
      opaque({ t: 'May 1, 2026', i: id }),
      opaque({ t: 1_700_000_000_000, i: id }),
      opaque({ t: '2026-05-01T12:00:00.000Z', i: id, extra: 1 }),
      opaque([id]),
      opaque('null'),
      `${encodeCursor({ createdAt: new Date(), id })}!`,
    ];
    for (const value of forged) expect(decodeCursor(value), value).toBeNull();
  });
});

describe('decodePositionCursor', () => {
  it('reads back positions 0 to 2^31-1', () => {
    for (const position of [0, 1, 99, MAX_ITEM_POSITION]) expect(decodePositionCursor(encodePositionCursor(position))).toBe(position);
  });

  it('refuses a position past the integer column, negative, padded or not a number', () => {
    for (const text of ['p:2147483648', 'p:9999999999', 'p:99999999999999999999', 'p:-1', 'p:007', 'p:1.5', 'p:', 'x:1', '{"p":1}']) {
      expect(decodePositionCursor(opaque(text)), text).toBeNull();
    }
    expect(decodePositionCursor('%%%')).toBeNull();
  });
});
