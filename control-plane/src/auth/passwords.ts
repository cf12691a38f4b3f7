import { randomBytes, scrypt, timingSafeEqual, type ScryptOptions } from 'node:crypto';

// Passwords are kept as `scrypt$<log2 N>$<r>$<p>$<salt b64>$<key b64>`: the parameters travel
// with the hash, so stronger ones can be chosen later without breaking older hashes.

/** 2^15 × 8 × 128 bytes = 32 MiB and about 60–100 ms per check on one core here. */
const LOG2_N = 15;
const R = 8;
const P = 1;
const KEY_BYTES = 32;
const SALT_BYTES = 16;

function derive(password: string, salt: Buffer, options: ScryptOptions): Promise<Buffer> {
  const memory = 128 * (options.N ?? 1) * (options.r ?? 1) * (options.p ?? 1);
  return new Promise((resolve, reject) => {
    scrypt(password, salt, KEY_BYTES, { ...options, maxmem: 2 * memory }, (err, key) =>
      err ? reject(err) : resolve(key),
    );
  });
}

/** A new hash of `password` with a fresh salt. */
export async function hashPassword(password: string, log2N = LOG2_N): Promise<string> {
  const salt = randomBytes(SALT_BYTES);
  const key = await derive(password, salt, { N: 2 ** log2N, r: R, p: P });
  return ['scrypt', log2N, R, P, salt.toString('base64'), key.toString('base64')].join('$');
}

/** A hash of no one's password: checked against when the user is unknown, so both take as long. */
let decoy: Promise<string> | undefined;

/**
 * Whether `password` matches `stored`, compared in constant time. Without a stored hash (an
 * unknown user, or one with no password yet) a decoy is checked instead, and the answer is false.
 */
export async function verifyPassword(
  password: string,
  stored: string | undefined,
): Promise<boolean> {
  const hash = stored ?? (await (decoy ??= hashPassword(randomBytes(16).toString('hex'))));
  const parts = hash.split('$');
  if (parts.length !== 6 || parts[0] !== 'scrypt') return false;
  const [log2N, r, p] = parts.slice(1, 4).map(Number);
  if (!log2N || !r || !p || log2N > 20) return false;
  const salt = Buffer.from(parts[4] ?? '', 'base64');
  const expected = Buffer.from(parts[5] ?? '', 'base64');
  const key = await derive(password, salt, { N: 2 ** log2N, r, p });
  return key.length === expected.length && timingSafeEqual(key, expected) && stored !== undefined;
}
