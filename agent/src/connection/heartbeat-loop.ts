import type { Sleep } from '../time.js';

export interface HeartbeatLoopOptions {
  signal: AbortSignal;
  sleep: Sleep;
  /** Set by the control plane in `welcome`. */
  intervalMs: number;
  /** One beat: check liveness, ping, send a heartbeat. */
  beat: () => Promise<void>;
}

/** Beats every `intervalMs` until the signal aborts (the socket closed or the agent stops). */
export async function runHeartbeatLoop({
  signal,
  sleep,
  intervalMs,
  beat,
}: HeartbeatLoopOptions): Promise<void> {
  while (!signal.aborted) {
    await sleep(intervalMs, signal);
    if (signal.aborted) return;
    await beat();
  }
}
