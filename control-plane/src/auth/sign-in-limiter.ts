import type { Now } from '../clock.js';

/** Failures allowed before delays start. */
const FREE_FAILURES = 5;
/** The first delay, doubled at each further failure, in milliseconds. */
const BASE_DELAY_MS = 1_000;
/** The longest delay, in milliseconds. */
const MAX_DELAY_MS = 15 * 60_000;
/** A key with no failure for this long is forgotten, in milliseconds. */
const FORGET_AFTER_MS = 24 * 60 * 60_000;
/** Keys tracked at most; the oldest are dropped first, so a flood cannot grow memory. */
const MAX_KEYS = 50_000;

interface Failures {
  count: number;
  lastAt: number;
  /** No attempt is checked before this time. */
  blockedUntil: number;
}

/**
 * Slows password guessing: after a few failures for one key (an IP address, or an account), each
 * further attempt must wait a delay that doubles at every failure, up to 15 minutes. An attempt
 * during the delay is refused without checking the password, and does not extend it.
 */
export class SignInLimiter {
  readonly #failures = new Map<string, Failures>();

  constructor(private readonly now: Now) {}

  /** Milliseconds until any of `keys` may try again; 0 when all may. */
  retryAfterMs(keys: string[]): number {
    const at = this.now();
    let wait = 0;
    for (const key of keys) {
      const entry = this.#failures.get(key);
      if (entry) wait = Math.max(wait, entry.blockedUntil - at);
    }
    return wait;
  }

  fail(keys: string[]): void {
    const at = this.now();
    for (const key of keys) {
      const entry = this.#failures.get(key);
      const count = entry && at - entry.lastAt < FORGET_AFTER_MS ? entry.count + 1 : 1;
      const delay =
        count < FREE_FAILURES
          ? 0
          : Math.min(MAX_DELAY_MS, BASE_DELAY_MS * 2 ** (count - FREE_FAILURES));
      this.#failures.delete(key);
      this.#failures.set(key, { count, lastAt: at, blockedUntil: at + delay });
    }
    for (const key of this.#failures.keys()) {
      if (this.#failures.size <= MAX_KEYS) break;
      this.#failures.delete(key);
    }
  }

  /** A success clears the account's failures (not the address's: one success among guesses). */
  succeed(key: string): void {
    this.#failures.delete(key);
  }
}
