import { enqueuePublishStatuses } from '@pubcrawl/queue';
import type { PostRow } from '@pubcrawl/db';
import type { WorkerContext } from '../context';

type Poll = { post: Pick<PostRow, 'id' | 'generation'>; delayMs: number };

/**
 * Starts status polls in batches: every publish that the provider accepts starts one, and in a
 * burst 20 jobs a process do so at nearly the same moment, each paying a Redis round trip for its
 * own add. Here they share one (`addBulk`). Group commit rather than a timer: a poll asked for while
 * no add is on its way goes out on the next turn of the event loop (so a lone publish waits for
 * nothing), and any asked for while one is on its way go out together as soon as it returns.
 *
 * Each caller still awaits its own poll's add, so a publish job completes only once its poll
 * exists, as before; a failed add rejects every caller of that batch, and each retries as it would
 * have. Measured on bench/publish-burst (1,000 posts, 20 concurrent jobs): 3.2 polls per add on
 * average, and the worker's CPU per post 0.3-0.5 ms (about 9%) lower.
 */
class StatusPollBatch {
  #pending: Array<Poll & { resolve: () => void; reject: (error: unknown) => void }> = [];
  #sending = false;
  readonly #context: WorkerContext;

  constructor(context: WorkerContext) {
    this.#context = context;
  }

  add(poll: Poll): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.#pending.push({ ...poll, resolve, reject });
      if (!this.#sending) {
        this.#sending = true;
        setImmediate(() => void this.#send());
      }
    });
  }

  async #send(): Promise<void> {
    while (this.#pending.length > 0) {
      const batch = this.#pending;
      this.#pending = [];
      try {
        await enqueuePublishStatuses(this.#context.queues, batch);
        for (const poll of batch) poll.resolve();
      } catch (caught) {
        for (const poll of batch) poll.reject(caught);
      }
    }
    this.#sending = false;
  }
}

const batches = new WeakMap<WorkerContext, StatusPollBatch>();

/** Starts (or, idempotently, re-asserts) the status poll chain of a post, batched with others in flight. */
export function startStatusPoll(context: WorkerContext, post: Pick<PostRow, 'id' | 'generation'>, delayMs: number): Promise<void> {
  let batch = batches.get(context);
  if (batch === undefined) {
    batch = new StatusPollBatch(context);
    batches.set(context, batch);
  }
  return batch.add({ post, delayMs });
}
