/**
 * Polls until `check` returns a value other than undefined/false, or fails with the last state
 * seen, so a timeout says what was wrong rather than just "timed out".
 */
export async function waitFor<T>(
  check: () => Promise<T | undefined | false> | T | undefined | false,
  options: { timeoutMs?: number; intervalMs?: number; describe?: () => unknown } = {},
): Promise<T> {
  const timeoutMs = options.timeoutMs ?? 10_000;
  const intervalMs = options.intervalMs ?? 50;
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) {
      const state = options.describe ? JSON.stringify(await options.describe()) : '';
      throw new Error(`waitFor: condition not met within ${timeoutMs} ms ${state}`);
    }
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}
