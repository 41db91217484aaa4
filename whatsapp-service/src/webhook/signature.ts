import { createHmac, timingSafeEqual } from 'node:crypto';

/** Seconds a signed request may be away from the receiver's clock. */
export const MAX_CLOCK_SKEW_SECONDS = 300;

/** `sha256=<hex HMAC-SHA256(secret, timestamp + "." + body)>`, over UTF-8 bytes. */
export function signatureFor(secret: string, timestamp: number, body: string): string {
  const mac = createHmac('sha256', secret).update(`${timestamp}.${body}`, 'utf8').digest('hex');
  return `sha256=${mac}`;
}

/** The headers that authenticate one webhook request. */
export function signedHeaders(secret: string, body: string, nowMs: number): Record<string, string> {
  const timestamp = Math.floor(nowMs / 1000);
  return { 'X-Timestamp': String(timestamp), 'X-Signature': signatureFor(secret, timestamp, body) };
}

export type VerifyResult = { ok: true } | { ok: false; reason: 'missing' | 'stale' | 'mismatch' };

/** The receiver's side, as the plugin does it; used by our tests' receivers. */
export function verifySignature(
  secret: string,
  headers: { timestamp?: string; signature?: string },
  body: string,
  nowMs: number,
): VerifyResult {
  const { timestamp, signature } = headers;
  if (!timestamp || !signature || !/^\d+$/.test(timestamp)) return { ok: false, reason: 'missing' };
  if (Math.abs(nowMs / 1000 - Number(timestamp)) > MAX_CLOCK_SKEW_SECONDS) return { ok: false, reason: 'stale' };
  const expected = Buffer.from(signatureFor(secret, Number(timestamp), body));
  const given = Buffer.from(signature);
  const same = expected.length === given.length && timingSafeEqual(expected, given);
  return same ? { ok: true } : { ok: false, reason: 'mismatch' };
}
