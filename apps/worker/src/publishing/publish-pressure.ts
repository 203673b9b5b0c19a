/**
 * Lets status polls step aside while this process is in a publish burst. A poll a few seconds late
 * changes nothing (the post is already accepted; only its `published` is noticed later), while a
 * publish a few seconds late is the lateness users see. In a 1,000-post burst on a 2-core machine
 * the first polls (PUBLISH_STATUS_FIRST_INTERVAL_MS after the first calls) came due while most
 * posts were still waiting to be sent, and took a share of the one CPU thread from them.
 *
 * "In a burst" means every publish slot of the process is busy; a poll then waits until fewer than
 * half are (hysteresis: between two jobs a slot is briefly free, which is no sign of a lull), or at
 * most `maxWaitMs`, so a burst that never ends cannot starve polling. In-process only: a poll
 * waiting here holds its slot and lock, and costs no round trip.
 */
export class PublishPressure {
  #active = 0;
  #waiters = new Set<() => void>();
  readonly #slots: number;
  readonly #maxWaitMs: number;

  constructor(slots: number, maxWaitMs: number) {
    this.#slots = slots;
    this.#maxWaitMs = maxWaitMs;
  }

  /** Counts a publish job for as long as `run` runs. */
  async publishing<T>(run: () => Promise<T>): Promise<T> {
    this.#active += 1;
    try {
      return await run();
    } finally {
      this.#active -= 1;
      if (this.#active < Math.max(1, this.#slots / 2)) this.#release();
    }
  }

  /** Resolves at once outside a burst; during one, when it ends or after `maxWaitMs`. */
  async yieldToPublishing(): Promise<void> {
    if (this.#maxWaitMs === 0 || this.#active < this.#slots) return;
    await new Promise<void>((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.#waiters.delete(done);
        resolve();
      };
      const timer = setTimeout(done, this.#maxWaitMs);
      this.#waiters.add(done);
    });
  }

  #release(): void {
    for (const done of [...this.#waiters]) done();
  }
}
