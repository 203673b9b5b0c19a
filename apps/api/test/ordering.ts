/**
 * created_at is stored to the millisecond (keyset cursors carry milliseconds), and rows created in
 * the same millisecond list by id. A test that asserts newest-first order between rows it creates
 * back to back waits for the clock to move between them.
 */
export async function nextMillisecond(): Promise<void> {
  const start = Date.now();
  while (Date.now() === start) await new Promise((resolve) => setTimeout(resolve, 1));
}
