import { uptime } from 'node:os';
import { join } from 'node:path';
import type { AgentMessageInput } from '@berth/protocol';
import type { AgentConfig } from './config.js';
import type { AgentConnection } from './connection/agent-connection.js';
import { loadIdentity } from './connection/identity.js';
import { createBackupTransfer } from './database/backup-transfer.js';
import type { Logger } from './log.js';
import { LogSpool } from './logs/log-spool.js';
import {
  runContainerStateLoop,
  sendFullStateReport,
} from './container-state/container-state-loop.js';
import { systemSleep } from './time.js';
import { startUpkeep } from './upkeep/upkeep-schedule.js';
import { ContainerLogs } from './jobs/container-logs.js';
import type { Engine } from './docker/engine.js';
import { JobRunner } from './jobs/job-runner.js';
import { Journal } from './jobs/journal.js';
import { restoreInterruptedServices } from './jobs/restore-services.js';
import { startProxySystem } from './proxy/proxy-system.js';
import { IdleCollector, exposedCollection } from './upkeep/idle-collector.js';

/** How long before its event stream broke the engine may have been stopping containers, in milliseconds. */
const ENGINE_STOP_WINDOW_MS = 30_000;

export interface JobSystem {
  runner: JobRunner;
  /** Subscribes the runner, log spool and state reports to a connection. */
  attach(connection: AgentConnection): void;
  /** Stops watching Docker, stops upkeep, and winds running jobs down. */
  stop(): Promise<void>;
}

/** Wires the job runner, log spool, state reports, container logs, the proxy and upkeep together. */
export async function startJobSystem(options: {
  config: AgentConfig;
  engine: Engine;
  logger: Logger;
  signal: AbortSignal;
}): Promise<JobSystem> {
  const { config, engine, logger } = options;
  let connection: AgentConnection | null = null;
  const send = (message: AgentMessageInput): boolean => connection?.send(message) ?? false;
  const journal = new Journal(config.stateDir);
  const spool = new LogSpool(join(config.stateDir, 'spool'), {
    sendLogRuns: (_jobId, frame) => connection?.sendLogRuns(frame) ?? false,
  });
  const busy = () => runner.runningCount > 0;
  const collection = exposedCollection();
  const collector = collection ? new IdleCollector({ collect: collection, busy }) : null;
  const runner: JobRunner = new JobRunner({
    engine,
    journal,
    spool,
    send,
    workDir: join(config.stateDir, 'work'),
    logger,
    files: createBackupTransfer({
      baseUrl: config.controlPlaneUrl,
      identity: () => loadIdentity(config.stateDir),
    }),
    ...(collector ? { onJobEnded: () => collector.jobEnded() } : {}),
  });
  await runner.recover();
  const restore = (stoppedBetween: [number, number], cause: string) =>
    restoreInterruptedServices({ engine, journal, logger, stoppedBetween, cause }).catch(
      (err: unknown) => {
        logger.warn(
          `could not check services after ${cause}: ${err instanceof Error ? err.message : String(err)}`,
        );
        return [];
      },
    );
  await restore([0, Date.now() - uptime() * 1000], 'a reboot');
  const containerLogs = new ContainerLogs({ engine, send });
  const reportState = () => void sendFullStateReport({ engine, send }).catch(() => undefined);

  const stateLoop = new AbortController();
  options.signal.addEventListener('abort', () => stateLoop.abort(), { once: true });
  const stateDone = runContainerStateLoop({
    signal: stateLoop.signal,
    engine,
    send,
    logger,
    sleep: systemSleep,
    now: Date.now,
    // The engine stopped every container when it went down; start those meant to run.
    onEngineBack: async (lostAtMs) =>
      (
        await restore(
          [lostAtMs - ENGINE_STOP_WINDOW_MS, Date.now()],
          'a restart of the Docker engine',
        )
      ).length,
  });
  const proxy = await startProxySystem({ config, engine, logger, signal: options.signal, send });
  const stopUpkeep = startUpkeep({
    engine,
    journal,
    logger,
    schedule: config.pruneSchedule,
    keepImages: config.keepImages,
    onPruned: reportState,
    busy,
  });

  return {
    runner,
    attach(conn) {
      connection = conn;
      conn.on('connected', () => {
        runner.onConnected();
        reportState();
      });
      conn.on('disconnected', () => containerLogs.stopAll());
      conn.on('job.assign', (message) => runner.handleAssign(message.job));
      conn.on('job.cancel', (message) => runner.handleCancel(message.jobId));
      conn.on('job.ack', (message) => void runner.handleFinishedAck(message.jobId));
      conn.on('log.ack', (message) => spool.ack(message.jobId, message.seq));
      conn.on('container.logs', (message) => containerLogs.handleRequest(message));
      conn.on('container.logs.stop', (message) => containerLogs.handleStop(message.requestId));
      proxy.attach(conn);
    },
    async stop() {
      stopUpkeep();
      collector?.stop();
      stateLoop.abort();
      containerLogs.stopAll();
      await proxy.stop();
      await runner.shutdown();
      // Lines still gathering for a batch reach the spool file before the process exits.
      await spool.flush();
      await stateDone;
    },
  };
}
