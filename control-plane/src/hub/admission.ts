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
/** Assume at least this many handshakes finish per second, before any has been measured. */
const FLOOR_RATE_PER_S = 500;

/**
 * Paces a reconnect herd. While few handshakes are in flight every socket is admitted; past the
 * limit a socket is answered at once with a delay to come back after, instead of queueing behind
 * the others until its own handshake times out. Delays spread the waiting agents over the time the
 * control plane needs for them, from the handshake rate it is achieving now.
 */
export class Admission {
  readonly #options: AdmissionOptions;
  #pending = 0;
  /** Handshakes finished and agents deferred, in the current and the previous second. */
  #window = { startedAt: 0, finished: 0, deferred: 0, lastFinished: 0, lastDeferred: 0 };

  constructor(options: AdmissionOptions) {
    this.#options = options;
  }

  get pending(): number {
    return this.#pending;
  }

  /** Null to admit the socket now (and count it pending), or the delay to tell it, in ms. */
  admit(): number | null {
    this.#roll();
    if (this.#pending < this.#options.maxPendingHandshakes) {
      this.#pending += 1;
      return null;
    }
    this.#window.deferred += 1;
    const w = this.#window;
    const ratePerS = Math.max(FLOOR_RATE_PER_S, w.finished, w.lastFinished);
    const waiting = Math.max(w.deferred, w.lastDeferred) + this.#pending;
    const spreadMs = Math.min(MAX_RETRY_MS, (waiting / ratePerS) * 1000);
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
