import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

// Time-based one-time passwords (RFC 6238 over RFC 4226): HMAC-SHA1, 30 s steps, 6 digits, the
// parameters every authenticator app assumes.

const STEP_SECONDS = 30;
const DIGITS = 6;
/** Codes one step early or late are taken too, for clocks that drift. */
const WINDOW_STEPS = 1;
const BASE32 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';

export function base32Encode(bytes: Buffer): string {
  let bits = 0;
  let value = 0;
  let out = '';
  for (const byte of bytes) {
    value = (value << 8) | byte;
    bits += 8;
    while (bits >= 5) {
      out += BASE32[(value >>> (bits - 5)) & 31];
      bits -= 5;
    }
  }
  if (bits > 0) out += BASE32[(value << (5 - bits)) & 31];
  return out;
}

export function base32Decode(text: string): Buffer {
  const clean = text.replace(/[\s=]/g, '').toUpperCase();
  const bytes: number[] = [];
  let bits = 0;
  let value = 0;
  for (const char of clean) {
    const index = BASE32.indexOf(char);
    if (index < 0) throw new Error(`"${char}" is not a base32 character`);
    value = (value << 5) | index;
    bits += 5;
    if (bits >= 8) {
      bytes.push((value >>> (bits - 8)) & 255);
      bits -= 8;
    }
  }
  return Buffer.from(bytes);
}

/** A new shared secret, base32 as authenticator apps take it (160 bits, RFC 4226's advice). */
export function newTotpSecret(): string {
  return base32Encode(randomBytes(20));
}

/** The HOTP code of `counter` (RFC 4226 section 5.3). */
export function hotp(secret: Buffer, counter: number): string {
  const message = Buffer.alloc(8);
  message.writeBigUInt64BE(BigInt(counter));
  const digest = createHmac('sha1', secret).update(message).digest();
  const offset = (digest[digest.length - 1] ?? 0) & 0x0f;
  const binary = digest.readUInt32BE(offset) & 0x7fffffff;
  return String(binary % 10 ** DIGITS).padStart(DIGITS, '0');
}

/** The time step a code belongs to, for refusing the same code twice. */
export function totpStep(atMs: number): number {
  return Math.floor(atMs / 1000 / STEP_SECONDS);
}

/**
 * The step `code` is valid for at `atMs` (within one step either side), or null. Each candidate is
 * compared in constant time, and all are compared, whichever matches.
 */
export function matchTotp(secretBase32: string, code: string, atMs: number): number | null {
  const secret = base32Decode(secretBase32);
  const sent = Buffer.from(code.padEnd(DIGITS, ' ').slice(0, 16));
  let matched: number | null = null;
  const now = totpStep(atMs);
  for (let step = now - WINDOW_STEPS; step <= now + WINDOW_STEPS; step++) {
    const expected = Buffer.from(hotp(secret, step));
    if (expected.length === sent.length && timingSafeEqual(expected, sent)) matched = step;
  }
  return matched;
}

/** The `otpauth://` URI that authenticator apps read from a QR code or a paste. */
export function otpauthUri(options: { secret: string; account: string; issuer: string }): string {
  const label = encodeURIComponent(`${options.issuer}:${options.account}`);
  const query = new URLSearchParams({
    secret: options.secret,
    issuer: options.issuer,
    algorithm: 'SHA1',
    digits: String(DIGITS),
    period: String(STEP_SECONDS),
  });
  return `otpauth://totp/${label}?${query.toString()}`;
}
