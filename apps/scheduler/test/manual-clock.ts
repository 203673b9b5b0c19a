import type { Clock } from '../src/clock';
import type { TickSource } from '../src/ticks';

interface Timer {
  due: number;
  order: number;
  callback: () => void;
}

/**
 * A clock that moves only when a test says so. `advance` runs each timer at its own due time, all
 * timers due at the same instant together (so three replicas' ticks race for real), and awaits
 * `settle` after each instant: the scheduler's Postgres work happens then, in real time, while the
 * clock stands still.
 */
export class ManualClock implements Clock {
  private current: number;
  private timers: Timer[] = [];
  private created = 0;

  constructor(start: Date) {
    this.current = start.getTime();
  }

  now(): Date {
    return new Date(this.current);
  }

  setTimer(ms: number, callback: () => void): () => void {
    const timer: Timer = { due: this.current + Math.max(0, ms), order: (this.created += 1), callback };
    this.timers.push(timer);
    return () => {
      this.timers = this.timers.filter((other) => other !== timer);
    };
  }

  async advance(ms: number, settle: () => Promise<void> = () => Promise.resolve()): Promise<void> {
    const target = this.current + ms;
    for (;;) {
      const due = Math.min(...this.timers.map((timer) => timer.due));
      if (!(due <= target)) break;
      const batch = this.timers.filter((timer) => timer.due === due).sort((a, b) => a.order - b.order);
      this.timers = this.timers.filter((timer) => !batch.includes(timer));
      this.current = Math.max(this.current, due);
      for (const timer of batch) timer.callback();
      await settle();
    }
    this.current = target;
  }
}

/**
 * Ticks from a clock instead of node-cron: a timer to each schedule's next fire time, computed with
 * the same walker the API and catch-up use (cron.test.ts pins it to node-cron's own).
 */
export function clockTicks(clock: Clock): TickSource {
  return {
    watch(schedule, onTick) {
      let stopped = false;
      let cancel: () => void = () => undefined;
      const arm = () => {
        const next = schedule.compiled.next(clock.now());
        if (stopped || !next) return;
        cancel = clock.setTimer(next.getTime() - clock.now().getTime(), () => {
          if (stopped) return;
          onTick(next);
          arm();
        });
      };
      arm();
      return Promise.resolve({
        stop: () => {
          stopped = true;
          cancel();
          return Promise.resolve();
        },
      });
    },
  };
}
