import { createHmac, timingSafeEqual } from 'node:crypto';

const HEX_SHA256 = /^[0-9a-f]{64}$/i;

/** Lowercase hex HMAC-SHA256 of `body` with `secret`, as GitHub, Gitea and Forgejo sign. */
export function hmacSha256Hex(secret: string, body: Uint8Array): string {
  return createHmac('sha256', secret).update(body).digest('hex');
}

/**
 * Whether `given` is the hex HMAC-SHA256 of `body`. Compared in constant time on buffers of
 * equal length; anything that is not 64 hex digits is false without a comparison.
 */
export function hmacMatches(secret: string, body: Uint8Array, given: string | undefined): boolean {
  if (given === undefined || !HEX_SHA256.test(given)) return false;
  const expected = Buffer.from(hmacSha256Hex(secret, body), 'hex');
  const actual = Buffer.from(given, 'hex');
  return expected.length === actual.length && timingSafeEqual(expected, actual);
}
