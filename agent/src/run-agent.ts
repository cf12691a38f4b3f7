import type { HeldJob } from '@berth/protocol';
import type { AgentConfig } from './config.js';
import { AgentConnection } from './connection/agent-connection.js';
import { runConnectionLoop } from './connection/connection-loop.js';
import { enrollAgent } from './connection/enroll-agent.js';
import { loadIdentity, prepareStateDir, type AgentIdentity } from './connection/identity.js';
import type { Engine } from './docker/engine.js';
import { AgentError } from './errors.js';
import type { Logger } from './log.js';
import { createStatusCollector } from './status/status-report.js';
import { STATUS_HOST, startStatusServer } from './status/status-server.js';
import { systemNow, systemSleep, type Now, type Sleep } from './time.js';

export interface RunAgentOptions {
  config: AgentConfig;
  logger: Logger;
  docker: Engine;
  /** Aborting it shuts the agent down: socket closed with 1001, status port closed. */
  signal: AbortSignal;
  now?: Now;
  sleep?: Sleep;
  random?: () => number;
  /** Called once the agent has a connection handle, for the job runner to subscribe. */
  onConnection?: (connection: AgentConnection) => void;
  /** Jobs running now, for heartbeats and the status port (0 without a job runner). */
  runningJobs?: () => number;
  /** Jobs to report in `hello`, so the control plane can reconcile after a reconnect. */
  heldJobs?: () => HeldJob[];
}

/** Loads or enrolls the identity, serves the status port, and keeps the connection up. */
export async function runAgent(options: RunAgentOptions): Promise<void> {
  const { config, logger, signal } = options;
  const now = options.now ?? systemNow;
  const sleep = options.sleep ?? systemSleep;
  const random = options.random ?? Math.random;
  const runningJobs = options.runningJobs ?? (() => 0);
  const heldJobs = options.heldJobs ?? (() => []);

  await prepareStateDir(config.stateDir);
  let identity: AgentIdentity | null = await loadIdentity(config.stateDir);
  if (identity === null && config.joinToken === undefined) {
    throw new AgentError(
      'INVALID_INPUT',
      `a join token is required for the first start: no identity in ${config.stateDir}. ` +
        'Create one with POST /api/v1/join-tokens and set BERTH_JOIN_TOKEN to it',
    );
  }
  if (identity !== null) {
    const ignored = config.joinToken === undefined ? '' : '; BERTH_JOIN_TOKEN is ignored';
    logger.info(`using the saved identity "${identity.name}" (${identity.agentId})${ignored}`);
  }

  const connection = new AgentConnection(logger);
  options.onConnection?.(connection);
  const status = await startStatusServer({
    port: config.statusPort,
    collect: createStatusCollector({
      controlPlaneUrl: config.controlPlaneUrl,
      agentId: () => identity?.agentId ?? null,
      connection: () => connection.state,
      docker: options.docker,
      runningJobs,
    }),
  });
  logger.info(`status port listening on http://${STATUS_HOST}:${status.port}`);
  try {
    if (identity === null) {
      identity = await enrollAgent({
        config,
        joinToken: config.joinToken ?? '',
        logger,
        signal,
        sleep,
        random,
      });
    }
    await runConnectionLoop({
      signal,
      now,
      sleep,
      random,
      controlPlaneUrl: config.controlPlaneUrl,
      identity,
      connection,
      docker: options.docker,
      logger,
      reconnectMaxMs: config.reconnectMaxMs,
      runningJobs,
      heldJobs,
    });
  } catch (err) {
    // Stopping during enrollment is a clean shutdown, not a failure.
    if (!signal.aborted) throw err;
  } finally {
    await status.close();
  }
}
