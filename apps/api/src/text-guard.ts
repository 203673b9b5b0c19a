import type { FastifyRequest } from 'fastify';
import { invalidInput } from './errors';

/**
 * Every string that reaches us over HTTP ends up in Postgres, in a header to an upstream, or in a log
 * line. Postgres refuses NUL outright (which surfaced as a 500), and encodes a lone UTF-16 surrogate
 * as U+FFFD, so what we stored would silently differ from what was sent. One guard, run before any
 * schema, refuses both everywhere instead of every schema remembering to.
 */
export function textProblem(value: string): string | null {
  if (value.includes('\u0000')) return 'must not contain NUL (\\u0000)';
  if (!isWellFormedUtf16(value)) return 'must be well-formed Unicode (it contains a lone UTF-16 surrogate)';
  return null;
}

// String.prototype.isWellFormed is in Node 20's V8 but not in the ES2023 lib this repo compiles
// against; the regular expression is the same test, spelled out.
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

function isWellFormedUtf16(value: string): boolean {
  const native = (value as { isWellFormed?: () => boolean }).isWellFormed;
  return typeof native === 'function' ? native.call(value) : !LONE_SURROGATE.test(value);
}

interface Pending {
  value: unknown;
  path: string;
}

/**
 * The first malformed string in a parsed JSON value (keys included), as a dotted field path such as
 * `mediaItems.0.url`. Iterative, because a hostile body can nest arrays deeper than the call stack.
 */
export function findMalformedText(root: unknown, rootPath = ''): { field: string; problem: string } | null {
  const stack: Pending[] = [{ value: root, path: rootPath }];
  for (let next = stack.pop(); next !== undefined; next = stack.pop()) {
    const { value, path } = next;
    if (typeof value === 'string') {
      const problem = textProblem(value);
      if (problem !== null) return { field: path || 'body', problem };
      continue;
    }
    if (value === null || typeof value !== 'object') continue;
    const entries: Array<[string, unknown]> = Array.isArray(value) ? value.map((item, index) => [String(index), item]) : Object.entries(value);
    // Reverse, so the stack reports the first malformed field in document order.
    for (let index = entries.length - 1; index >= 0; index -= 1) {
      const entry = entries[index];
      if (entry === undefined) continue;
      const [key, child] = entry;
      const childPath = path ? `${path}.${key}` : key;
      const keyProblem = textProblem(key);
      if (keyProblem !== null) return { field: childPath, problem: `key ${keyProblem}` };
      stack.push({ value: child, path: childPath });
    }
  }
  return null;
}

/** A preValidation hook: the body, the query string and the path parameters, before any schema. */
export async function refuseMalformedText(request: FastifyRequest): Promise<void> {
  const found = findMalformedText(request.params) ?? findMalformedText(request.query) ?? findMalformedText(request.body);
  if (found !== null) throw invalidInput(`Invalid field: ${found.field}`, { [found.field]: found.problem });
}
