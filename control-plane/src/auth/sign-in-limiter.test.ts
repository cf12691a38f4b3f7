import { describe, expect, it } from 'vitest';
import { fakeClock } from '../testing/fake-clock.js';
import { SignInLimiter } from './sign-in-limiter.js';

describe('SignInLimiter', () => {
  it('lets five failures through, then makes each attempt wait twice as long, up to 15 minutes', () => {
    const clock = fakeClock();
    const limiter = new SignInLimiter(clock.now);
    const keys = ['ip:10.0.0.1', 'user:ana'];
    const waits: number[] = [];
    for (let i = 0; i < 16; i++) {
      const wait = limiter.retryAfterMs(keys);
      waits.push(wait);
      clock.advance(wait);
      limiter.fail(keys);
    }
    expect(waits.slice(0, 5)).toEqual([0, 0, 0, 0, 0]);
    expect(waits.slice(5, 10)).toEqual([1_000, 2_000, 4_000, 8_000, 16_000]);
    expect(Math.max(...waits)).toBe(15 * 60_000);
  });

  it('slows an account guessed from many addresses, and an address guessing many accounts', () => {
    const clock = fakeClock();
    const limiter = new SignInLimiter(clock.now);
    for (let i = 0; i < 6; i++) limiter.fail([`ip:10.0.0.${i}`, 'user:ana']);
    expect(limiter.retryAfterMs(['ip:10.9.9.9', 'user:ana'])).toBeGreaterThan(0);
    for (let i = 0; i < 6; i++) limiter.fail(['ip:10.1.1.1', `user:u${i}`]);
    expect(limiter.retryAfterMs(['ip:10.1.1.1', 'user:someone-else'])).toBeGreaterThan(0);
    expect(limiter.retryAfterMs(['ip:10.2.2.2', 'user:bob'])).toBe(0);
  });

  it('forgets an account’s failures at a success, and everything after a quiet day', () => {
    const clock = fakeClock();
    const limiter = new SignInLimiter(clock.now);
    for (let i = 0; i < 6; i++) limiter.fail(['user:ana']);
    limiter.succeed('user:ana');
    expect(limiter.retryAfterMs(['user:ana'])).toBe(0);
    for (let i = 0; i < 6; i++) limiter.fail(['user:bob']);
    clock.advance(25 * 3600_000);
    limiter.fail(['user:bob']);
    expect(limiter.retryAfterMs(['user:bob'])).toBe(0);
  });
});
