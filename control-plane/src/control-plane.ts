import type { Server } from 'node:http';
import { join } from 'node:path';
import { agentReleaseFromDir } from './agent-release.js';
import { currentNodeRuntimeSource, nodeRuntimeOf } from './node-runtime.js';
import { systemNow, systemSleep, type Now, type Sleep } from './clock.js';
import type { Config } from './config.js';
import { describeError } from './errors.js';
import { createApp } from './http/app.js';
import { closeHttpServer, createHttpServer, listen } from './http/listen.js';
import { Hub } from './hub/hub.js';
import { runLivenessLoop } from './hub/liveness-loop.js';
import type { Logger } from './log.js';
import { registerGauges } from './metrics/gauges.js';
import { createMetrics } from './metrics/metrics.js';
import { AUDIT_FILE, AuditLog } from './store/audit-log.js';
import { openFileStore, type Store } from './store/store.js';
import { BackupFiles } from './databases/backup-files.js';
import { BackupUpkeep } from './databases/backup-upkeep.js';
import { ContainerLogRelay } from './hub/container-log-relay.js';
import { ProxySync } from './hub/proxy-sync.js';
import { startNotifier } from './notifications/start.js';
import { JobQueue } from './queue/job-queue.js';
import { runLeaseLoop } from './queue/lease-loop.js';
import { QueueEvents } from './queue/queue-events.js';
import { phaseSeconds } from './queue/timeline.js';
import { LogFiles } from './store/log-files.js';
import { writePidFile } from './store/pid-file.js';
import { applyRetention } from './upkeep/retention.js';
import { schedule } from './upkeep/schedule.js';

/** Restart and stop jobs end within this, in milliseconds. */
const CONTROL_JOB_DEADLINE_MS = 5 * 60_000;
const LEASE_CHECK_MS = 1_000;
const DEADLINE_GRACE_MS = 30_000;

export interface ControlPlane {
  port: number;
  store: Store;
  hub: Hub;
  /** Stops the loops, closes agent sockets with 1001 and HTTP, then flushes the store. */
  close(): Promise<void>;
}

export interface StartOptions {
  config: Config;
  adminToken: string;
  log: Logger;
  now?: Now;
  sleep?: Sleep;
}

/** Opens the store, serves HTTP and the agent socket, and runs the background loops. */
export async function startControlPlane(options: StartOptions): Promise<ControlPlane> {
  const { config, log } = options;
  const now = options.now ?? systemNow;
  const sleep = options.sleep ?? systemSleep;
  const startedAt = now();
  const store = await openFileStore(config.dataDir, {
    now,
    onLazyWriteError: (err) =>
      log.error(`could not write ${config.dataDir}/db.json: ${describeError(err)}`),
    onMigrated: (summary) => log.info(summary),
    onWarning: (message) => log.warn(message),
    secretKey: config.secretKey,
  });
  const audit = await AuditLog.open(join(config.dataDir, AUDIT_FILE), { now, log });
  // Tells `rotate-secret-key` on the command line that this process holds the data dir.
  const removePidFile = await writePidFile(config.dataDir);
  const metrics = createMetrics();
  const hub = new Hub({
    store,
    now,
    log,
    framesRejected: metrics.framesRejected,
    heartbeatIntervalMs: config.heartbeatIntervalMs,
    livenessTimeoutMs: config.livenessTimeoutMs,
  });
  registerGauges(metrics.registry, { store, hub });
  const logs = new LogFiles(join(config.dataDir, 'logs'));
  await logs.init();
  const events = new QueueEvents();
  events.on('ended', (job, deployment) => {
    if (!deployment?.phases) return;
    for (const { phase, seconds } of phaseSeconds(deployment.phases))
      metrics.deploymentPhases.observe({ phase, status: job.status }, seconds);
  });
  const queue = new JobQueue({
    store,
    sessions: hub,
    now,
    log,
    logs,
    events,
    maxParallelPerServer: config.maxParallelJobs,
    deployDeadlineMs: config.deployTimeoutMs,
    queueTimeoutMs: config.queueTimeoutMs,
    controlDeadlineMs: CONTROL_JOB_DEADLINE_MS,
    backupDeadlineMs: config.backupTimeoutMs,
    lostJobGraceMs: config.lostJobGraceMs,
  });
  const notifier = startNotifier({ store, events, log, now, sleep });
  const backupFiles = new BackupFiles(join(config.dataDir, 'backups'));
  const leftovers = await backupFiles.removeLeftovers();
  if (leftovers > 0) log.info(`removed ${leftovers} partial backup upload(s) left by a crash`);
  const backupUpkeep = new BackupUpkeep({ store, files: backupFiles, queue, events, log });
  backupUpkeep.start();
  const containerLogs = new ContainerLogRelay(hub);
  hub.onSessionOpen((serverId, hello) => queue.handleSessionOpen(serverId, hello.jobs));
  hub.handle(queue.agentHandlers());
  hub.handle({
    'container.logs.lines': (serverId, message) => containerLogs.handle(serverId, message),
  });
  hub.onSessionClose((serverId) => containerLogs.closeServer(serverId));
  const proxySync = new ProxySync({
    store,
    sessions: hub,
    settings: config.proxy,
    log,
    onServiceChanged: (serviceId) => events.emit('service', serviceId),
  });
  hub.onWelcome((serverId, hello) => proxySync.welcomed(serverId, hello.protocolVersion));
  hub.handle(proxySync.handlers());
  const nodeRuntime = nodeRuntimeOf(currentNodeRuntimeSource());
  const app = createApp({
    store,
    sessions: hub,
    metrics,
    adminToken: options.adminToken,
    audit,
    publicUrl: config.publicUrl,
    agentRelease: agentReleaseFromDir(config.agentReleaseDir),
    nodeRuntime,
    now,
    log,
    deployments: { store, queue, logs, events, containerLogs },
    backups: { store, queue, events, files: backupFiles, now, log },
    backupSchedules: backupUpkeep,
    proxySync,
  });
  const server: Server = createHttpServer(app);
  hub.attach(server);
  const port = await listen(server, config.port, config.host);

  const stopRetention = schedule(
    config.retentionSchedule,
    async () => {
      await applyRetention({
        store,
        logs,
        now,
        log,
        historyKeep: config.historyKeep,
        logRetentionDays: config.logRetentionDays,
      });
    },
    (err) => log.error(`retention failed: ${describeError(err)}`),
  );
  const controller = new AbortController();
  const loops = Promise.all([
    runLivenessLoop({
      signal: controller.signal,
      hub,
      servers: store.servers,
      now,
      sleep,
      log,
      livenessTimeoutMs: config.livenessTimeoutMs,
      restartGraceMs: config.restartGraceMs,
      startedAt,
    }),
    runLeaseLoop({
      signal: controller.signal,
      queue,
      sleep,
      intervalMs: LEASE_CHECK_MS,
      deadlineGraceMs: DEADLINE_GRACE_MS,
    }),
  ]);

  return {
    port,
    store,
    hub,
    async close() {
      controller.abort();
      stopRetention();
      backupUpkeep.stop();
      // Stop listening first: a fleet that is told to go away retries at once, and the kernel
      // refuses those connections for free instead of this process answering each.
      const httpClosed = closeHttpServer(server);
      await hub.close();
      server.closeAllConnections();
      await httpClosed;
      await loops;
      await notifier.stop();
      await store.close();
      await audit.close();
      await removePidFile();
      await nodeRuntime?.close();
    },
  };
}
