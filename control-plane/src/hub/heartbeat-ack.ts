import { isoTime, type Now } from '../clock.js';

/**
 * Which heartbeats get a `heartbeat.ack`, and its encoded text. The ack is the agent's sign of
 * our life, so each session is acknowledged every how many heartbeats keep it hearing from us
 * within two thirds of its liveness timeout, a third to spare for delays. The first heartbeat of
 * a session is always acknowledged. With the defaults (5 s, 15 s): every second one.
 */
export class HeartbeatAck {
  readonly #now: Now;
  readonly #every: number;
  #at = -1;
  #text = '';

  constructor(options: { now: Now; heartbeatIntervalMs: number; livenessTimeoutMs: number }) {
    this.#now = options.now;
    const { heartbeatIntervalMs, livenessTimeoutMs } = options;
    this.#every = Math.max(1, Math.floor((2 * livenessTimeoutMs) / 3 / heartbeatIntervalMs));
  }

  /** Whether the heartbeat after `sinceAck` unacknowledged ones is answered. */
  due(sinceAck: number): boolean {
    return sinceAck % this.#every === 0;
  }

  /** One encoded ack per millisecond at most: a fleet's heartbeats share it. */
  text(): string {
    const at = this.#now();
    if (at !== this.#at) {
      this.#at = at;
      this.#text = JSON.stringify({ type: 'heartbeat.ack', sentAt: isoTime(at) });
    }
    return this.#text;
  }
}
