import {
  createHash,
  createPublicKey,
  randomBytes,
  timingSafeEqual,
  verify,
  type KeyObject,
} from 'node:crypto';

/** A fresh secret: 32 random bytes, base64url. Safe to paste into a shell. */
export function randomToken(): string {
  return randomBytes(32).toString('base64url');
}

/** An opaque id such as `srv_3f2a…`; the prefix says what it names. */
export function newId(prefix: string): string {
  return `${prefix}_${randomBytes(10).toString('hex')}`;
}

export function sha256Hex(value: string): string {
  return createHash('sha256').update(value, 'utf8').digest('hex');
}

/** Compares two secrets in constant time, whatever their lengths. */
export function secretsEqual(a: string, b: string): boolean {
  const left = createHash('sha256').update(a, 'utf8').digest();
  const right = createHash('sha256').update(b, 'utf8').digest();
  return timingSafeEqual(left, right);
}

const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;

/** Parses a base64 DER (SPKI) Ed25519 public key; null when it is anything else. */
// An Ed25519 SPKI is this fixed header and the 32 key bytes.
const ED25519_SPKI_PREFIX = Buffer.from('302a300506032b6570032100', 'hex');

export function parseEd25519PublicKey(base64: string): KeyObject | null {
  if (!BASE64.test(base64)) return null;
  try {
    const der = Buffer.from(base64, 'base64');
    // The same key as a JWK parses about eight times faster than DER, which counts when a
    // reconnecting fleet is verified after a restart.
    const raw =
      der.length === ED25519_SPKI_PREFIX.length + 32 &&
      der.subarray(0, ED25519_SPKI_PREFIX.length).equals(ED25519_SPKI_PREFIX)
        ? der.subarray(ED25519_SPKI_PREFIX.length)
        : null;
    const key = raw
      ? createPublicKey({
          key: { kty: 'OKP', crv: 'Ed25519', x: raw.toString('base64url') },
          format: 'jwk',
        })
      : createPublicKey({ key: der, format: 'der', type: 'spki' });
    return key.asymmetricKeyType === 'ed25519' ? key : null;
  } catch {
    return null;
  }
}

/** Verifies a base64 Ed25519 signature; false for any malformed input. */
export function verifyEd25519(key: KeyObject, payload: Buffer, signatureBase64: string): boolean {
  if (!BASE64.test(signatureBase64)) return false;
  try {
    return verify(null, payload, key, Buffer.from(signatureBase64, 'base64'));
  } catch {
    return false;
  }
}
