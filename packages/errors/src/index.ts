/**
 * The repo's one error normaliser. JavaScript can throw anything (a string, an object, undefined),
 * so every `catch` turns what it caught into a real Error before looking at it, and every package
 * does that the same way: through this function.
 */
export function toError(value: unknown): Error {
  if (value instanceof Error) return value;
  if (typeof value === 'string') return new Error(value);
  try {
    return new Error(`Non-error thrown: ${JSON.stringify(value)}`);
  } catch {
    // A circular structure, or a BigInt: JSON cannot say it, String can.
    return new Error(`Non-error thrown: ${String(value)}`);
  }
}
