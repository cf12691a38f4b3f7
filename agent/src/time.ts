import { setTimeout as delay } from 'node:timers/promises';

/** Milliseconds since the epoch; injected so tests control the clock. */
export type Now = () => number;

/** Waits `ms` milliseconds, or less when the signal aborts. Never rejects. */
export type Sleep = (ms: number, signal?: AbortSignal) => Promise<void>;

export const systemNow: Now = () => Date.now();

export const systemSleep: Sleep = async (ms, signal) => {
  if (signal?.aborted) return;
  try {
    await delay(ms, undefined, signal ? { signal } : undefined);
  } catch {
    // Aborted: the caller checks its signal.
  }
};
