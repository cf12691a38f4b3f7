import type { Now } from '../clock.js';

export interface AdmissionOptions {
  now: Now;
  /** In [0, 1), like Math.random; spreads the agents told to come back. */
  random: () => number;
  /** Handshakes (socket open, no valid hello yet) allowed at once. */
  maxPendingHandshakes: number;
}

/** The shortest and longest delay an agent is told to wait, in milliseconds. */
const MIN_RETRY_MS = 250;
const MAX_RETRY_MS = 20_000;
/** Admissions per second allowed before any handshake has been measured. */
const FLOOR_RATE_PER_S = 200;
/** Admit this much faster than handshakes finished in the last second, to find the pace. */
const RATE_HEADROOM = 1.5;

/**
 * Paces a reconnect herd. Sockets are admitted at about the rate handshakes are finishing (plus
 * headroom to find a faster pace, and never below a floor, so admission cannot stall), with few
 * in flight. Every other socket is answered at once with a delay to come back after, instead of
 * queueing until its handshake times out. Delays spread the waiting agents over the time they
 * need at that rate.
 */
export class Admission {
  readonly #options: AdmissionOptions;
  #pending = 0;
  #tokens: number;
  #refilledAt: number;
  /** Handshakes finished and agents deferred, in the current and the previous second. */
  #window = { startedAt: 0, finished: 0, deferred: 0, lastFinished: 0, lastDeferred: 0 };

  constructor(options: AdmissionOptions) {
    this.#options = options;
    this.#tokens = options.maxPendingHandshakes;
    this.#refilledAt = options.now();
  }

  get pending(): number {
    return this.#pending;
  }

  /** Null to admit the socket now (and count it pending), or the delay to tell it, in ms. */
  admit(): number | null {
    this.#roll();
    const rate = this.#ratePerS();
    this.#refill(rate);
    if (this.#pending < this.#options.maxPendingHandshakes && this.#tokens >= 1) {
      this.#tokens -= 1;
      this.#pending += 1;
      return null;
    }
    this.#window.deferred += 1;
    const w = this.#window;
    const waiting = Math.max(w.deferred, w.lastDeferred) + this.#pending;
    const spreadMs = Math.min(MAX_RETRY_MS, (waiting / rate) * 1000);
    return Math.round(MIN_RETRY_MS + this.#options.random() * spreadMs);
  }

  /** An admitted socket finished its handshake, or closed before it did. */
  settled(authenticated: boolean): void {
    this.#pending = Math.max(0, this.#pending - 1);
    if (authenticated) {
      this.#roll();
      this.#window.finished += 1;
    }
  }

  #ratePerS(): number {
    const w = this.#window;
    return Math.max(FLOOR_RATE_PER_S, Math.max(w.finished, w.lastFinished) * RATE_HEADROOM);
  }

  #refill(ratePerS: number): void {
    const at = this.#options.now();
    const burst = this.#options.maxPendingHandshakes;
    this.#tokens = Math.min(burst, this.#tokens + ((at - this.#refilledAt) / 1000) * ratePerS);
    this.#refilledAt = at;
  }

  #roll(): void {
    const at = this.#options.now();
    const w = this.#window;
    if (at - w.startedAt < 1000) return;
    const fresh = at - w.startedAt < 2000;
    this.#window = {
      startedAt: at,
      finished: 0,
      deferred: 0,
      lastFinished: fresh ? w.finished : 0,
      lastDeferred: fresh ? w.deferred : 0,
    };
  }
}
