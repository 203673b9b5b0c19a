const UNIQUE_VIOLATION = '23505';

/**
 * True when Postgres refused a write on a unique index. drizzle wraps driver errors in
 * DrizzleQueryError with the pg error as `cause`, so the whole cause chain is searched.
 */
export function isUniqueViolation(caught: unknown, constraint?: string): boolean {
  let current: unknown = caught;
  for (let depth = 0; depth < 5 && typeof current === 'object' && current !== null; depth += 1) {
    if ('code' in current && current.code === UNIQUE_VIOLATION) {
      return constraint === undefined || ('constraint' in current && current.constraint === constraint);
    }
    current = 'cause' in current ? current.cause : undefined;
  }
  return false;
}
