import { createServer } from 'node:net';

/**
 * A loopback port nobody listens on right now: an ephemeral one, bound and released. Free for a
 * child process to listen on, or refused for a client to connect to.
 */
export async function unusedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (address === null || typeof address === 'string') throw new Error(`unexpected address ${String(address)}`);
  return address.port;
}
