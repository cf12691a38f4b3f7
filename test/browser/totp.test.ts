import { describe, expect, it } from 'vitest';
import { totpCode } from './totp.js';

describe('the tests’ own TOTP', () => {
  // RFC 6238 appendix B: the SHA-1 secret "12345678901234567890", cut to 6 digits.
  const SECRET = 'GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ';
  it.each([
    [59_000, '287082'],
    [1_111_111_109_000, '081804'],
    [1_234_567_890_000, '005924'],
    [20_000_000_000_000, '353130'],
  ])('at %i ms gives %s', (at, code) => {
    expect(totpCode(SECRET, at)).toBe(code);
  });
});
