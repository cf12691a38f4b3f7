import { CLOSE_CODES } from '@berth/protocol';
import type { Now, Sleep } from '../clock.js';
import { describeError } from '../errors.js';
import type { Logger } from '../log.js';
import type { ServerRecords } from '../store/servers.js';
import type { Hub } from './hub.js';

export interface LivenessOptions {
  hub: Pick<Hub, 'liveSessions' | 'disconnect' | 'isConnected'>;
  servers: Pick<ServerRecords, 'expireSilent' | 'seen'>;
  now: Now;
  log: Logger;
  livenessTimeoutMs: number;
  /** After a restart, servers that were online stay `reconnecting` this long, in milliseconds. */
  restartGraceMs: number;
  /** When this control plane started, in ms since the epoch. */
  startedAt: number;
}

export interface LivenessLoopOptions extends LivenessOptions {
  signal: AbortSignal;
  sleep: Sleep;
  /** How often to check, in milliseconds. */
  tickMs?: number;
}

/** Keeps each server's online/offline status true to its session, until the signal aborts. */
export async function runLivenessLoop(options: LivenessLoopOptions): Promise<void> {
  const { signal, sleep, log } = options;
  const tickMs = options.tickMs ?? Math.min(1000, Math.ceil(options.livenessTimeoutMs / 4));
  const checker = createLivenessChecker(options);
  let failing = false;
  while (!signal.aborted) {
    try {
      await checker();
      if (failing) log.info('liveness check recovered');
      failing = false;
    } catch (err) {
      if (!failing) log.error(`liveness check failed: ${describeError(err)}`);
      failing = true;
    }
    await sleep(tickMs, signal);
  }
}

/**
 * Returns one liveness pass. It walks the live sessions and the servers' in-memory status without
 * copying either: O(1) per server, nothing written unless a status changes.
 */
export function createLivenessChecker(options: LivenessOptions): () => Promise<void> {
  const { hub, servers, now, log, livenessTimeoutMs } = options;
  const graceUntil = options.startedAt + options.restartGraceMs;

  return () => {
    const at = now();
    const silent: { serverId: string; silentMs: number }[] = [];
    for (const session of hub.liveSessions()) {
      const silentMs = at - session.lastLifeAt;
      if (session.serverId !== null && silentMs > livenessTimeoutMs)
        silent.push({ serverId: session.serverId, silentMs });
    }
    for (const { serverId, silentMs } of silent) {
      hub.disconnect(
        serverId,
        CLOSE_CODES.livenessTimeout,
        `no sign of life for ${silentMs} ms (liveness timeout ${livenessTimeoutMs} ms)`,
      );
      log.warn(`agent ${serverId} timed out after ${silentMs} ms of silence; marked offline`);
      servers.seen(serverId, at - silentMs);
    }
    const expired = servers.expireSilent({
      at,
      livenessTimeoutMs,
      graceUntil,
      isConnected: (id) => hub.isConnected(id),
    });
    for (const id of expired) log.info(`agent ${id} did not reconnect; marked offline`);
    return Promise.resolve();
  };
}
