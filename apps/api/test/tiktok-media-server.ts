import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Agent, getGlobalDispatcher, setGlobalDispatcher, type Dispatcher } from 'undici';

/**
 * An https media host on 127.0.0.1 (post media must be https), serving a file of any size made up
 * on the fly, so a 150 MB upload is streamed through the worker without 150 MB existing anywhere.
 * Its certificate is self-signed for 127.0.0.1, and trusted by this process's global undici
 * dispatcher (what the worker's media fetch uses) for as long as the server runs.
 */
export interface MediaServer {
  /** `https://127.0.0.1:<port>/media/<bytes>.mp4` serves exactly `bytes` bytes; `sized: false` leaves out content-length. */
  urlFor(bytes: number, options?: { sized?: boolean }): string;
  /** Bytes sent so far, across all requests. */
  sent(): number;
  close(): Promise<void>;
}

const PIECE = Buffer.alloc(256 * 1024, 0x5a);

export async function startMediaServer(): Promise<MediaServer> {
  const dir = mkdtempSync(join(tmpdir(), 'pubcrawl-media-'));
  execFileSync('openssl', [
    'req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj', '/CN=127.0.0.1',
    '-addext', 'subjectAltName=IP:127.0.0.1', '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem'),
  ], { stdio: 'ignore' });
  const cert = readFileSync(join(dir, 'cert.pem'));
  const key = readFileSync(join(dir, 'key.pem'));
  rmSync(dir, { recursive: true, force: true });

  let sent = 0;
  const server: Server = createServer({ cert, key }, (request, response) => {
    const match = /^\/(media|unsized)\/(\d+)\.mp4$/.exec(request.url ?? '');
    if (match?.[2] === undefined) {
      response.writeHead(404).end();
      return;
    }
    const total = Number(match[2]);
    response.writeHead(200, match[1] === 'media' ? { 'content-type': 'video/mp4', 'content-length': String(total) } : { 'content-type': 'video/mp4' });
    let left = total;
    const pump = () => {
      while (left > 0) {
        const piece = left >= PIECE.length ? PIECE : PIECE.subarray(0, left);
        left -= piece.length;
        sent += piece.length;
        if (!response.write(piece)) {
          response.once('drain', pump);
          return;
        }
      }
      response.end();
    };
    pump();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  const previous: Dispatcher = getGlobalDispatcher();
  const trusting = new Agent({ connect: { ca: cert } });
  setGlobalDispatcher(trusting);
  return {
    urlFor: (bytes, options = {}) => `https://127.0.0.1:${port}/${options.sized === false ? 'unsized' : 'media'}/${bytes}.mp4`,
    sent: () => sent,
    async close() {
      setGlobalDispatcher(previous);
      await trusting.close();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
