import { describe, expect, it } from 'vitest';
import { toError } from '../src/index';

describe('toError', () => {
  it('returns an Error as it is, and wraps anything else thrown in one that says what it was', () => {
    const original = new TypeError('boom');
    expect(toError(original)).toBe(original);
    expect(toError('plain text').message).toBe('plain text');
    expect(toError({ code: 42 }).message).toBe('Non-error thrown: {"code":42}');
    expect(toError(undefined).message).toBe('Non-error thrown: undefined');
    const circular: Record<string, unknown> = {};
    circular.self = circular;
    expect(toError(circular).message).toBe('Non-error thrown: [object Object]');
    expect(toError(10n).message).toBe('Non-error thrown: 10');
  });
});
