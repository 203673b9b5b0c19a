import type { ChildProcess } from 'node:child_process';
import { once } from 'node:events';

/** Keeps the last this-many characters a child printed: enough for any failure message. */
const KEPT_CHARS = 200_000;

/** Everything a child prints on the streams it pipes, for assertions and failure messages. */
export function captureOutput(child: ChildProcess): () => string {
  let text = '';
  const append = (chunk: Buffer) => {
    text = (text + chunk.toString()).slice(-KEPT_CHARS);
  };
  child.stdout?.on('data', append);
  child.stderr?.on('data', append);
  return () => text;
}

export interface ChildExit {
  code: number | null;
  signal: NodeJS.Signals | null;
  /** From sending the signal to the exit. */
  afterMs: number;
}

/**
 * Sends `signal` and waits for the child to exit. A child still alive `killAfterMs` later is
 * SIGKILLed, so a hung shutdown fails its test with the overrun instead of timing it out.
 */
export async function signalAndWait(child: ChildProcess, signal: NodeJS.Signals, killAfterMs: number): Promise<ChildExit> {
  const exited = once(child, 'exit') as Promise<[number | null, NodeJS.Signals | null]>;
  const signalledAt = Date.now();
  child.kill(signal);
  const guard = setTimeout(() => child.kill('SIGKILL'), killAfterMs);
  try {
    const [code, exitSignal] = await exited;
    return { code, signal: exitSignal, afterMs: Date.now() - signalledAt };
  } finally {
    clearTimeout(guard);
  }
}
