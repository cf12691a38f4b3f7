/**
 * The text form of a secret key, as BERTH_SECRET_KEY and secret.key hold it: 64 hex characters,
 * or the 32 bytes in base64 or base64url (44 or 43 characters).
 */
export const SECRET_KEY_FORMAT =
  'must be 32 random bytes as 64 hex characters (e.g. the output of `openssl rand -hex 32`) or as base64';

/** The 32 key bytes, or null when the text is not a key. */
export function parseSecretKeyText(text: string): Buffer | null {
  const value = text.trim();
  if (/^[0-9a-fA-F]{64}$/.test(value)) return Buffer.from(value, 'hex');
  if (/^[A-Za-z0-9+/_-]{43}={0,1}$/.test(value)) {
    const bytes = Buffer.from(value.replace(/-/g, '+').replace(/_/g, '/'), 'base64');
    return bytes.length === 32 ? bytes : null;
  }
  return null;
}

export function secretKeyText(bytes: Buffer): string {
  return bytes.toString('hex');
}
