/**
 * Schedule time, as the scheduler sees it: what time it is (a tick's identity, catch-up's "now")
 * and when its next poll is due. Production uses `realClock`; tests pass a clock they move by hand,
 * so a test covers a minute of ticks in the milliseconds Postgres takes to commit them.
 *
 * Deliberately not on this clock: the timeouts that bound real I/O (enqueue, shutdown grace, the
 * backoff before retrying an unreachable Postgres). They measure how long a socket has been stuck,
 * and a clock that only moves when a test says so would let a stuck socket hang the test instead.
 */
export interface Clock {
  now(): Date;
  /** Calls `callback` once, `ms` from now. Returns the cancel function (a no-op once it ran). */
  setTimer(ms: number, callback: () => void): () => void;
}

export const realClock: Clock = {
  now: () => new Date(),
  setTimer(ms, callback) {
    const timer = setTimeout(callback, ms);
    return () => clearTimeout(timer);
  },
};
