import { describe, expect, it } from 'vitest';
import { base32Decode, base32Encode, hotp, matchTotp, otpauthUri, totpStep } from './totp.js';

// RFC 6238 appendix B (SHA-1), with the last 6 of its 8 digits: what authenticator apps show.
const RFC_SECRET = base32Encode(Buffer.from('12345678901234567890'));
const VECTORS: [number, string][] = [
  [59, '287082'],
  [1111111109, '081804'],
  [1234567890, '005924'],
  [2000000000, '279037'],
];

describe('TOTP', () => {
  it('gives the codes of RFC 6238', () => {
    for (const [seconds, code] of VECTORS) {
      expect(hotp(base32Decode(RFC_SECRET), totpStep(seconds * 1000))).toBe(code);
    }
  });

  it('takes a code one step early or late, and no other', () => {
    const at = 1234567890_000;
    expect(matchTotp(RFC_SECRET, '005924', at)).toBe(totpStep(at));
    expect(matchTotp(RFC_SECRET, '005924', at + 30_000)).toBe(totpStep(at));
    expect(matchTotp(RFC_SECRET, '005924', at - 30_000)).toBe(totpStep(at));
    expect(matchTotp(RFC_SECRET, '005924', at + 90_000)).toBeNull();
    expect(matchTotp(RFC_SECRET, '005925', at)).toBeNull();
  });

  it('round-trips base32 and names the app, account and secret in the otpauth URI', () => {
    const bytes = Buffer.from([0, 1, 2, 250, 251, 252, 253]);
    expect(base32Decode(base32Encode(bytes))).toEqual(bytes);
    expect(() => base32Decode('not base32!')).toThrow(/base32/);
    const uri = otpauthUri({ secret: 'ABC', account: 'ana', issuer: 'Berth' });
    expect(uri).toBe(
      'otpauth://totp/Berth%3Aana?secret=ABC&issuer=Berth&algorithm=SHA1&digits=6&period=30',
    );
  });
});
