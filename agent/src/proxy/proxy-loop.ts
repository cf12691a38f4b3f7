import type { Sleep } from '../time.js';
import type { ProxyManager } from './proxy-manager.js';

/** How often the agent checks that the proxy runs, in milliseconds. */
export const PROXY_CHECK_INTERVAL_MS = 2_000;

/**
 * Checks the proxy every `intervalMs` until the signal aborts: a proxy that stopped or vanished
 * is started or created again. The proxy itself keeps running when the agent stops. While the
 * server has no routes (and so no proxy), the loop sleeps until a sync brings some.
 */
export async function runProxyLoop(options: {
  signal: AbortSignal;
  manager: Pick<ProxyManager, 'check' | 'hasRoutes' | 'untilRoutes'>;
  sleep: Sleep;
  intervalMs?: number;
}): Promise<void> {
  const { signal, manager, sleep } = options;
  while (!signal.aborted) {
    if (!manager.hasRoutes) {
      await manager.untilRoutes(signal);
      continue;
    }
    await manager.check();
    await sleep(options.intervalMs ?? PROXY_CHECK_INTERVAL_MS, signal);
  }
}
