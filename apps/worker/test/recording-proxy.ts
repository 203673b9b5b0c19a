import { createServer, request as httpRequest } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ProxiedCall {
  method: string;
  path: string;
  /** The posting accountId: from the JSON body of a publish, from the path of a status or creator-info call. */
  accountId: string | null;
  /** When the request reached the proxy (ms, this process's clock). */
  arrivedAt: number;
  /** When its response was handed back to the caller. */
  answeredAt: number;
  status: number;
  retryAfterSeconds: number | null;
  resetMs: number | null;
}

function accountOf(path: string, body: string): string | null {
  const status = /^\/api\/content\/(?:status|creator-info)\/([^/?]+)/.exec(path);
  if (status?.[1] !== undefined) return decodeURIComponent(status[1]);
  try {
    const parsed: unknown = JSON.parse(body);
    return typeof parsed === 'object' && parsed !== null && 'accountId' in parsed && typeof parsed.accountId === 'string' ? parsed.accountId : null;
  } catch {
    return null;
  }
}

function numberHeader(value: string | string[] | undefined): number | null {
  const text = Array.isArray(value) ? value[0] : value;
  return text === undefined || text === '' || Number.isNaN(Number(text)) ? null : Number(text);
}

/** Forwards every request to `target` and records when it arrived and what it was answered. */
export async function startRecordingProxy(target: string): Promise<{ url: string; calls: ProxiedCall[]; close(): Promise<void> }> {
  const upstream = new URL(target);
  const calls: ProxiedCall[] = [];
  const server = createServer((incoming, outgoing) => {
    const arrivedAt = Date.now();
    const chunks: Buffer[] = [];
    incoming.on('data', (chunk: Buffer) => chunks.push(chunk));
    incoming.on('end', () => {
      const body = Buffer.concat(chunks);
      const forward = httpRequest(
        { host: upstream.hostname, port: upstream.port, method: incoming.method, path: incoming.url, headers: incoming.headers },
        (answer) => {
          const parts: Buffer[] = [];
          answer.on('data', (chunk: Buffer) => parts.push(chunk));
          answer.on('end', () => {
            const path = incoming.url ?? '';
            outgoing.writeHead(answer.statusCode ?? 502, answer.headers);
            outgoing.end(Buffer.concat(parts));
            calls.push({
              method: incoming.method ?? 'GET',
              path,
              accountId: accountOf(path, body.toString('utf8')),
              arrivedAt,
              answeredAt: Date.now(),
              status: answer.statusCode ?? 0,
              retryAfterSeconds: numberHeader(answer.headers['retry-after']),
              resetMs: numberHeader(answer.headers['x-ratelimit-reset-ms']),
            });
          });
        },
      );
      forward.on('error', () => outgoing.destroy());
      forward.end(body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    calls,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
