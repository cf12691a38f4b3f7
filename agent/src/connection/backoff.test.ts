import { describe, expect, it } from 'vitest';
import { backoffDelayMs } from './backoff.js';

const options = { baseMs: 500, capMs: 30_000 };

describe('backoffDelayMs', () => {
  it('spans zero up to base * 2^attempt (full jitter)', () => {
    expect(backoffDelayMs({ ...options, attempt: 0, random: () => 0 })).toBe(0);
    expect(backoffDelayMs({ ...options, attempt: 0, random: () => 0.999999 })).toBe(499);
    expect(backoffDelayMs({ ...options, attempt: 3, random: () => 0.5 })).toBe(2000);
    expect(backoffDelayMs({ ...options, attempt: 3, random: () => 0.999999 })).toBe(3999);
  });

  it('never exceeds the cap, however many attempts', () => {
    for (const attempt of [6, 7, 20, 1000]) {
      expect(backoffDelayMs({ ...options, attempt, random: () => 0.999999 })).toBe(29_999);
      expect(backoffDelayMs({ ...options, attempt, random: () => 0 })).toBe(0);
    }
  });

  it('stays inside [0, min(cap, base * 2^attempt)) for random picks', () => {
    let seed = 42;
    const random = () => {
      seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
      return seed / 2 ** 31;
    };
    for (let attempt = 0; attempt < 12; attempt += 1) {
      const ceiling = Math.min(30_000, 500 * 2 ** attempt);
      for (let i = 0; i < 50; i += 1) {
        const delay = backoffDelayMs({ ...options, attempt, random });
        expect(delay).toBeGreaterThanOrEqual(0);
        expect(delay).toBeLessThan(ceiling);
      }
    }
  });
});
