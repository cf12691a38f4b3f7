import { AGENT_PATHS, type HeldJob } from '@berth/protocol';
import { controlPlaneEndpoint } from '../config.js';
import type { Engine } from '../docker/engine.js';
import type { Logger } from '../log.js';
import type { Now, Sleep } from '../time.js';
import type { AgentConnection } from './agent-connection.js';
import { RECONNECT_BASE_MS, backoffDelayMs } from './backoff.js';
import { classifyOutcome } from './close-reasons.js';
import type { AgentIdentity } from './identity.js';
import { runSession } from './session.js';

export interface ConnectionLoopOptions {
  signal: AbortSignal;
  now: Now;
  sleep: Sleep;
  /** In [0, 1), like Math.random; drives the backoff jitter. */
  random: () => number;
  controlPlaneUrl: URL;
  identity: AgentIdentity;
  connection: AgentConnection;
  docker: Engine;
  logger: Logger;
  /** Longest wait between attempts (BERTH_AGENT_RECONNECT_MAX_MS). */
  reconnectMaxMs: number;
  reconnectBaseMs?: number;
  handshakeTimeoutMs?: number;
  heldJobs?: () => HeldJob[];
  runningJobs?: () => number;
}

const DEFAULT_HANDSHAKE_TIMEOUT_MS = 15_000;
/**
 * For this long after losing a working connection, retries wait at most RECENT_LOSS_CAP_MS: the
 * control plane is most likely restarting, and it paces a crowd itself (connect.retry), so agents
 * should not sit out a 30 s backoff once it is back. Later failures back off to the full cap.
 */
const RECENT_LOSS_WINDOW_MS = 60_000;
const RECENT_LOSS_CAP_MS = 5_000;

/**
 * Keeps one socket to the control plane open until the signal aborts: connect, handshake,
 * heartbeat, and on any loss reconnect with full-jitter backoff (reset by each welcome).
 */
export async function runConnectionLoop(options: ConnectionLoopOptions): Promise<void> {
  const { signal, connection, logger } = options;
  const url = controlPlaneEndpoint(options.controlPlaneUrl, AGENT_PATHS.connect, 'ws');
  const baseMs = options.reconnectBaseMs ?? RECONNECT_BASE_MS;
  let attempt = 0;
  let lastKey: string | undefined;
  let lostAt = -Infinity;
  for (let first = true; !signal.aborted; first = false) {
    if (!first) connection.recordReconnect();
    const outcome = await runSession({
      url,
      identity: options.identity,
      connection,
      docker: options.docker,
      logger,
      signal,
      now: options.now,
      sleep: options.sleep,
      heldJobs: options.heldJobs ?? (() => []),
      runningJobs: options.runningJobs ?? (() => 0),
      handshakeTimeoutMs: options.handshakeTimeoutMs ?? DEFAULT_HANDSHAKE_TIMEOUT_MS,
    });
    if (signal.aborted) break;
    if (outcome.retryAfterMs !== undefined) {
      // Not a failure: the control plane is admitting a crowd and gave this agent its turn.
      if (lastKey !== 'deferred')
        logger.info(
          `the control plane is admitting other agents; connecting again in ${outcome.retryAfterMs} ms`,
        );
      lastKey = 'deferred';
      await options.sleep(outcome.retryAfterMs, signal);
      continue;
    }
    const verdict = classifyOutcome(outcome, url);
    connection.recordError(verdict.message);
    // A welcome starts a new story, except when a twin with this identity keeps taking over
    // (4409): then backing off and logging once is what stops two agents from flapping.
    if (outcome.welcomed && verdict.key !== 'replaced') {
      attempt = 0;
      lastKey = undefined;
      lostAt = options.now();
    }
    // Log a repeated failure once, when it starts.
    if (verdict.key !== lastKey) logger[verdict.level](verdict.message);
    lastKey = verdict.key;
    const recentLoss = options.now() - lostAt < RECENT_LOSS_WINDOW_MS;
    const capMs = recentLoss
      ? Math.min(options.reconnectMaxMs, RECENT_LOSS_CAP_MS)
      : options.reconnectMaxMs;
    const delayMs = verdict.revoked
      ? options.reconnectMaxMs
      : backoffDelayMs({ attempt, baseMs, capMs, random: options.random });
    attempt += 1;
    await options.sleep(delayMs, signal);
  }
}
