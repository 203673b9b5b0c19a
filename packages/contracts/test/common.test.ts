import { describe, expect, it } from 'vitest';
import { isoDateTime } from '../src/common';

describe('isoDateTime', () => {
  it('accepts instants from 0001-01-01 to 9999-12-31 UTC, with any offset', () => {
    for (const value of ['0001-01-01T00:00:00Z', '0001-01-01T01:00:00+01:00', '2026-05-01T12:00:00.123+02:00', '9999-12-31T23:59:59.999Z']) {
      expect(isoDateTime.safeParse(value).success, value).toBe(true);
    }
  });

  it('refuses year 0000, an offset that crosses out of the range, and text that is not ISO 8601', () => {
    for (const value of ['0000-12-31T23:59:59Z', '0001-01-01T00:30:00+01:00', '9999-12-31T23:59:59-01:00', '+010000-01-01T00:00:00Z', '2026-05-01 12:00:00Z', '2026-05-01T12:00:00']) {
      expect(isoDateTime.safeParse(value).success, value).toBe(false);
    }
  });
});
