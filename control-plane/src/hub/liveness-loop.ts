import { CLOSE_CODES } from '@berth/protocol';
import type { Now, Sleep } from '../clock.js';
import { describeError } from '../errors.js';
import type { Logger } from '../log.js';
import type { ServerRecords } from '../store/servers.js';
import type { Hub } from './hub.js';

export interface LivenessOptions {
  hub: Pick<Hub, 'liveSessions' | 'disconnect'>;
  servers: Pick<ServerRecords, 'list' | 'markOffline'>;
  now: Now;
  log: Logger;
  livenessTimeoutMs: number;
  /** After a restart, servers persisted online keep that status this long, in milliseconds. */
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
 * Returns one liveness pass. Servers persisted online when it is created (before any agent could
 * reconnect) are the ones the restart grace applies to.
 */
export function createLivenessChecker(options: LivenessOptions): () => Promise<void> {
  const { hub, servers, now, log, livenessTimeoutMs } = options;
  const graceUntil = options.startedAt + options.restartGraceMs;
  const inherited = new Set(
    servers
      .list()
      .filter((server) => server.status === 'online')
      .map((server) => server.id),
  );

  return async () => {
    const at = now();
    const live = new Set<string>();
    for (const session of hub.liveSessions()) {
      const silentMs = at - session.lastLifeAt;
      if (silentMs > livenessTimeoutMs) {
        hub.disconnect(
          session.serverId,
          CLOSE_CODES.livenessTimeout,
          `no sign of life for ${silentMs} ms (liveness timeout ${livenessTimeoutMs} ms)`,
        );
        log.warn(
          `agent ${session.serverId} timed out after ${silentMs} ms of silence; marked offline`,
        );
        await servers.markOffline(session.serverId);
        continue;
      }
      live.add(session.serverId);
      inherited.delete(session.serverId);
    }
    for (const server of servers.list()) {
      if (server.status !== 'online' || live.has(server.id)) continue;
      const lastSeen = server.lastSeenAt === null ? 0 : Date.parse(server.lastSeenAt);
      let deadline = lastSeen + livenessTimeoutMs;
      if (inherited.has(server.id)) deadline = Math.max(deadline, graceUntil);
      if (at < deadline) continue;
      inherited.delete(server.id);
      if (await servers.markOffline(server.id))
        log.info(`agent ${server.id} did not reconnect; marked offline`);
    }
  };
}
