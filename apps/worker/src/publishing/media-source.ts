import type { Readable } from 'node:stream';
import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import { isPrivateHost } from '@pubcrawl/contracts';
import { request } from 'undici';
import { classifyNetworkError, Permanent, toError, Transient } from '@pubcrawl/tiktok';

const ENDPOINT = 'GET {media_url}';

/** A media file being read from its URL, not yet consumed: its size is known before the first byte. */
export interface OpenedMedia {
  size: number;
  contentType: string;
  body: AsyncIterable<Uint8Array>;
  /** Drops the connection when the body will not be read (the init was refused). */
  discard(): void;
}

/**
 * Opens the media for a FILE_UPLOAD. TikTok wants the size at init, before any byte is sent, so the
 * answer must say it (`content-length`); the body is then streamed through chunk by chunk and
 * never held whole. A file over `maxBytes` is refused before anything reaches TikTok.
 */
export async function openMedia(url: string, options: { maxBytes: number; timeoutMs: number; allowPrivateHosts: boolean }): Promise<OpenedMedia> {
  if (!options.allowPrivateHosts) await refusePrivateAddresses(url);
  let response: Awaited<ReturnType<typeof request>>;
  try {
    response = await request(url, { method: 'GET', headersTimeout: options.timeoutMs, bodyTimeout: options.timeoutMs });
  } catch (caught) {
    throw classifyNetworkError('tiktok', ENDPOINT, toError(caught), { idempotent: true });
  }
  const refuse = (init: { code: string; message: string; transient?: boolean }) => {
    dropBody(response.body);
    const error = { upstream: 'tiktok' as const, endpoint: ENDPOINT, httpStatus: response.statusCode, code: init.code, message: init.message };
    return init.transient === true ? new Transient(error) : new Permanent(error);
  };
  if (response.statusCode >= 500) throw refuse({ code: 'media_unreachable', message: `the media URL answered ${response.statusCode}`, transient: true });
  if (response.statusCode !== 200) throw refuse({ code: 'media_unavailable', message: `the media URL answered ${response.statusCode}` });
  const length = Number(response.headers['content-length']);
  if (!Number.isSafeInteger(length) || length <= 0) {
    throw refuse({ code: 'media_size_unknown', message: 'the media URL does not say its size (content-length), which a TikTok FILE_UPLOAD must declare up front; use uploadMode "pull" or serve a content-length' });
  }
  if (length > options.maxBytes) throw refuse({ code: 'media_too_large', message: `the media is ${length} bytes, over TIKTOK_UPLOAD_MAX_BYTES (${options.maxBytes})` });
  const type = response.headers['content-type'];
  const body: Readable = response.body;
  return {
    size: length,
    contentType: typeof type === 'string' && type.startsWith('video/') ? type : 'video/mp4',
    body,
    discard: () => dropBody(body),
  };
}

/** Closes an unread body; the abort it reports is the point, not a failure. */
function dropBody(body: Readable): void {
  body.once('error', () => undefined);
  body.destroy();
}

/**
 * The API refused private hosts by name; a public name can still resolve to a private address, and
 * here it is pubcrawl itself that fetches. Checked on what the name resolves to now (a name that
 * changes its answer between this look-up and the connect is not covered).
 */
async function refusePrivateAddresses(url: string): Promise<void> {
  const { hostname } = new URL(url);
  const bare = hostname.startsWith('[') ? hostname.slice(1, -1) : hostname;
  let addresses: string[];
  try {
    addresses = isIP(bare) === 0 ? (await lookup(bare, { all: true })).map((entry) => entry.address) : [bare];
  } catch (caught) {
    throw new Transient({ upstream: 'tiktok', endpoint: ENDPOINT, code: 'media_unreachable', message: `the media host ${hostname} does not resolve: ${toError(caught).message}` });
  }
  const privateOne = addresses.find((address) => isPrivateHost(address.includes(':') ? `[${address}]` : address));
  if (privateOne !== undefined) {
    throw new Permanent({ upstream: 'tiktok', endpoint: ENDPOINT, code: 'media_host_private', message: `the media host ${hostname} resolves to ${privateOne}, a loopback, private, link-local or metadata address; set MEDIA_ALLOW_PRIVATE_HOSTS=true to allow it` });
  }
}
