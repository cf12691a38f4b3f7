import type { Sleep } from '../clock.js';
import type { Hub } from './hub.js';

/** Pings every authenticated agent each interval; the pongs count as life. */
export async function runPingLoop(options: {
  signal: AbortSignal;
  hub: Pick<Hub, 'pingAll'>;
  sleep: Sleep;
  intervalMs: number;
}): Promise<void> {
  const { signal, hub, sleep, intervalMs } = options;
  while (!signal.aborted) {
    await sleep(intervalMs, signal);
    if (!signal.aborted) hub.pingAll();
  }
}
