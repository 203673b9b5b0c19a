import { createHmac, timingSafeEqual } from 'node:crypto';

/** TikTok's webhooks-verification page leaves the window to us; 5 minutes is the usual replay bound. */
export const DEFAULT_SIGNATURE_TOLERANCE_S = 300;

export type SignatureCheck = { ok: true; timestampS: number } | { ok: false; reason: 'malformed' | 'mismatch' | 'stale' };

export interface VerifySignatureOptions {
  /** How far `t` may be from `now`, either way. Default 300. */
  toleranceSeconds?: number;
  /** Wall-clock ms. Default `Date.now()`. */
  now?: number;
}

/**
 * Checks `TikTok-Signature: t=<ts>,s=<hex>` against HMAC-SHA256(clientSecret, "<t>.<rawBody>").
 * `rawBody` must be the bytes as received: re-serialising parsed JSON changes them.
 */
export function verifyTikTokSignature(secret: string, header: string | undefined, rawBody: string | Buffer, options: VerifySignatureOptions = {}): SignatureCheck {
  const parts = new Map<string, string>();
  for (const element of (header ?? '').split(',')) {
    const at = element.indexOf('=');
    if (at > 0) parts.set(element.slice(0, at).trim(), element.slice(at + 1).trim());
  }
  const timestamp = parts.get('t');
  const signature = parts.get('s');
  if (timestamp === undefined || signature === undefined || !/^\d+$/.test(timestamp) || !/^[0-9a-f]{64}$/i.test(signature)) return { ok: false, reason: 'malformed' };
  const body = typeof rawBody === 'string' ? Buffer.from(rawBody) : rawBody;
  const expected = createHmac('sha256', secret).update(`${timestamp}.`).update(body).digest();
  // Compared before the clock so a forged header learns nothing about our tolerance.
  if (!timingSafeEqual(expected, Buffer.from(signature, 'hex'))) return { ok: false, reason: 'mismatch' };
  const timestampS = Number(timestamp);
  const nowS = (options.now ?? Date.now()) / 1000;
  if (Math.abs(nowS - timestampS) > (options.toleranceSeconds ?? DEFAULT_SIGNATURE_TOLERANCE_S)) return { ok: false, reason: 'stale' };
  return { ok: true, timestampS };
}
