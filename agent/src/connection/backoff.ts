export const RECONNECT_BASE_MS = 500;

export interface BackoffOptions {
  /** 0 for the first retry after a failure. */
  attempt: number;
  baseMs: number;
  capMs: number;
  /** Returns a number in [0, 1), like Math.random. */
  random: () => number;
}

/**
 * Exponential backoff with full jitter: a uniform pick in [0, min(cap, base * 2^attempt)).
 * Full jitter spreads a fleet that lost the control plane at the same moment.
 */
export function backoffDelayMs({ attempt, baseMs, capMs, random }: BackoffOptions): number {
  // 2^31 already dwarfs any cap; clamping keeps the arithmetic finite.
  const ceiling = Math.min(capMs, baseMs * 2 ** Math.min(Math.max(attempt, 0), 31));
  return Math.floor(random() * ceiling);
}
