import type { Now } from '../clock.js';
import type { Logger } from '../log.js';

/** Connects and disconnects logged one by one per second; past that, one summary line. */
const LINES_PER_SECOND = 20;
const WINDOW_MS = 1000;

/**
 * Logs agent connects and disconnects one by one while they are few. During a reconnect herd
 * (thousands a second after a restart) a line each would cost more than the handshakes, so the
 * rest of each second is counted and summed up in one line.
 */
export class ConnectionLog {
  readonly #log: Logger;
  readonly #now: Now;
  #windowStart = -Infinity;
  #lines = 0;
  #held = { connected: 0, disconnected: 0 };
  #timer: NodeJS.Timeout | null = null;

  constructor(log: Logger, now: Now) {
    this.#log = log;
    this.#now = now;
  }

  connected(message: string): void {
    this.#note('connected', message);
  }

  disconnected(message: string): void {
    this.#note('disconnected', message);
  }

  #note(kind: 'connected' | 'disconnected', message: string): void {
    const at = this.#now();
    if (at - this.#windowStart >= WINDOW_MS) {
      this.#windowStart = at;
      this.#lines = 0;
    }
    if (this.#lines < LINES_PER_SECOND) {
      this.#lines += 1;
      this.#log.info(message);
      return;
    }
    this.#held[kind] += 1;
    this.#timer ??= setTimeout(() => this.#summarize(), WINDOW_MS);
    this.#timer.unref();
  }

  #summarize(): void {
    this.#timer = null;
    const { connected, disconnected } = this.#held;
    this.#held = { connected: 0, disconnected: 0 };
    this.#log.info(
      `${connected} more agents connected and ${disconnected} disconnected in the last second ` +
        `(more than ${LINES_PER_SECOND} a second are counted, not logged one by one)`,
    );
  }
}
