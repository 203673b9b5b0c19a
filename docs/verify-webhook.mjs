// Checks a pubcrawl webhook's `X-Pubcrawl-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<raw body>">`.
// Pass the raw request body exactly as received (before any JSON parsing) and your WEBHOOK_SECRET.
// A signature more than 5 minutes from your clock is refused, so a captured request cannot be replayed later.
import { createHmac, timingSafeEqual } from 'node:crypto';

const TOLERANCE_SECONDS = 300;

export function verifyPubcrawlSignature(secret, header, rawBody, nowSeconds = Date.now() / 1000) {
  const match = /^t=(\d+),v1=([0-9a-f]{64})$/.exec(header ?? '');
  if (match === null) return false;
  const [, timestamp, signature] = match;
  if (Math.abs(nowSeconds - Number(timestamp)) > TOLERANCE_SECONDS) return false;
  const expected = createHmac('sha256', secret).update(`${timestamp}.${rawBody}`).digest();
  return timingSafeEqual(expected, Buffer.from(signature, 'hex'));
}
