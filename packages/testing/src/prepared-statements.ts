import pg from 'pg';

export interface PreparedStatementWatch {
  /** Names of the prepared statements sent since the watch began, in order. */
  readonly named: readonly string[];
  /** Parse messages of any kind (named or not) sent since the watch began. */
  parses(): number;
  /** Puts node-postgres back as it was. */
  stop(): void;
}

/**
 * Watches every Parse message node-postgres sends in this process. A query with a `name` leaves a
 * prepared statement on the server connection, which behind transaction pooling its next use may
 * not get; PgBouncer before 1.21 cannot track them, so a test behind one records them here and
 * expects none. `parses()` staying at 0 means this watched another copy of pg than the code did.
 */
export function watchPreparedStatements(): PreparedStatementWatch {
  const prototype = pg.Connection.prototype;
  // Called with the connection as `this`, below: the method is never used unbound.
  // eslint-disable-next-line @typescript-eslint/unbound-method
  const original = prototype.parse;
  const named: string[] = [];
  let parses = 0;
  prototype.parse = function parse(this: pg.Connection, query, more) {
    parses += 1;
    if (query.name) named.push(query.name);
    original.call(this, query, more);
  };
  return {
    named,
    parses: () => parses,
    stop() {
      prototype.parse = original;
    },
  };
}
