import type { Socket } from 'node:net';
import type { SandboxConfig } from './config';

export type FaultOutcome = 'none' | 'error' | 'reset' | 'hang';

/** mulberry32: tiny, fast and good enough to spread faults; seedable so a failing run can be replayed. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * One draw decides the outcome, with the three rates stacked on [0, 1), so each rate is the share
 * of all requests that see that fault and `errorRate: 1` means every request fails.
 */
export function rollFault(config: SandboxConfig, random: () => number): FaultOutcome {
  if (config.errorRate === 0 && config.resetRate === 0 && config.hangRate === 0) return 'none';
  const draw = random();
  if (draw < config.errorRate) return 'error';
  if (draw < config.errorRate + config.resetRate) return 'reset';
  if (draw < config.errorRate + config.resetRate + config.hangRate) return 'hang';
  return 'none';
}

/**
 * Sockets of requests that will never be answered. Each is destroyed after its hang time, or
 * earlier when the sandbox closes; a client that gives up first frees its entry.
 */
export class HungSockets {
  private readonly timers = new Map<Socket, NodeJS.Timeout>();

  hold(socket: Socket, ms: number): void {
    if (socket.destroyed) return;
    const previous = this.timers.get(socket);
    if (previous !== undefined) clearTimeout(previous);
    const timer = setTimeout(() => {
      this.timers.delete(socket);
      socket.destroy();
    }, ms);
    this.timers.set(socket, timer);
    socket.once('close', () => {
      clearTimeout(timer);
      this.timers.delete(socket);
    });
  }

  get size(): number {
    return this.timers.size;
  }

  releaseAll(): void {
    for (const [socket, timer] of this.timers) {
      clearTimeout(timer);
      socket.destroy();
    }
    this.timers.clear();
  }
}
