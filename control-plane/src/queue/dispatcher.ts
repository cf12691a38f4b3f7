import type { JobSpec } from '@berth/protocol';
import { gitAuthFor } from '../git/job-git-auth.js';
import type { JobRecord } from '../store/records.js';
import { changeJob, runTimeOf, type QueueDeps } from './context.js';
import { requeueJob, startJob } from './job-transitions.js';
import { registryAuthFor } from './registry-auth.js';

/** The job as the agent needs it: the service snapshot and the deployment to run. */
export async function jobSpec(deps: Pick<QueueDeps, 'store'>, job: JobRecord): Promise<JobSpec> {
  const deploymentId = job.deploymentId ?? job.releaseDeploymentId;
  const deployment = deploymentId ? await deps.store.history.deployment(deploymentId) : undefined;
  const spec: JobSpec = {
    jobId: job.id,
    kind: job.kind,
    service: job.service,
    ...(deployment
      ? {
          deployment: {
            id: deployment.id,
            number: deployment.number,
            cache: deployment.cache,
            trigger: deployment.trigger,
            source: deployment.source,
            ...(deployment.imageId ? { imageId: deployment.imageId } : {}),
          },
        }
      : {}),
    deadlineAt: job.deadlineAt,
    ...(await databaseSpec(deps, job)),
  };
  const registryAuth = registryAuthFor(spec, deps.store.registries.list());
  return {
    ...spec,
    ...(registryAuth.length > 0 ? { registryAuth } : {}),
    ...gitAuthFor(deps.store, spec),
  };
}

/**
 * What a database job adds: the backup it takes, the backup it restores, and the public port.
 * Whether a deploy publishes the port is read now, not when it was queued: an expose or
 * unexpose queued before it has finished by the time it starts.
 */
async function databaseSpec(
  deps: Pick<QueueDeps, 'store'>,
  job: JobRecord,
): Promise<Pick<JobSpec, 'backup' | 'restore' | 'expose'>> {
  const { history, services } = deps.store;
  const taken = job.backupId ? await history.backup(job.backupId) : undefined;
  const backup = taken && { backupId: taken.id, number: taken.number, verify: taken.verify };
  const restored = job.restoreOf ? await history.backup(job.restoreOf) : undefined;
  const config = services.config(job.serviceId);
  const published = config?.exposed && config.publicPort ? config.publicPort : undefined;
  let expose: JobSpec['expose'];
  if (job.kind === 'expose') expose = job.exposePort ? { port: job.exposePort } : {};
  else if (job.kind !== 'unexpose' && published) expose = { port: published };
  return {
    ...(job.kind === 'backup' && backup ? { backup } : {}),
    ...(restored?.stored
      ? {
          restore: {
            backupId: restored.id,
            number: restored.number,
            engine: restored.engine,
            ...(restored.engineVersion ? { engineVersion: restored.engineVersion } : {}),
            sizeBytes: restored.stored.sizeBytes,
            sha256: restored.stored.sha256,
            ...(restored.counts ? { counts: restored.counts } : {}),
            ...(backup ? { safetyBackup: backup } : {}),
          },
        }
      : {}),
    ...(expose ? { expose } : {}),
  };
}

/** The queued jobs that may start now: oldest first, one at a time per service, within limits. */
export function pickStartable(
  active: readonly JobRecord[],
  options: { isConnected: (serverId: string) => boolean; maxParallelPerServer: number },
): JobRecord[] {
  const busyServices = new Set<string>();
  const runningPerServer = new Map<string, number>();
  for (const job of active) {
    if (job.status !== 'running') continue;
    busyServices.add(job.serviceId);
    runningPerServer.set(job.serverId, (runningPerServer.get(job.serverId) ?? 0) + 1);
  }
  const picked: JobRecord[] = [];
  for (const job of active) {
    if (job.status !== 'queued') continue;
    // A later job of a service never overtakes an earlier one that has to wait.
    if (busyServices.has(job.serviceId)) continue;
    busyServices.add(job.serviceId);
    if (!options.isConnected(job.serverId)) continue;
    const running = runningPerServer.get(job.serverId) ?? 0;
    if (running >= options.maxParallelPerServer) continue;
    runningPerServer.set(job.serverId, running + 1);
    picked.push(job);
  }
  return picked;
}

/** Starts the queued jobs that may start now and sends them to their agents; returns them. */
export async function dispatchQueued(deps: QueueDeps): Promise<JobRecord[]> {
  const picked = pickStartable(await deps.store.history.activeJobs(), {
    isConnected: (id) => deps.sessions.isConnected(id),
    maxParallelPerServer: deps.maxParallelPerServer,
  });
  const started: JobRecord[] = [];
  for (const candidate of picked) {
    const unit = await changeJob(deps, candidate.id, (u) =>
      startJob(u, deps.now(), runTimeOf(deps, u.job.kind)),
    );
    if (!unit) continue;
    const { job } = unit;
    if (job.kind === 'deploy') deps.events.emit('service', job.serviceId);
    const sent = deps.sessions.send(job.serverId, {
      type: 'job.assign',
      job: await jobSpec(deps, job),
    });
    if (sent) {
      deps.log.info(
        `job ${job.id} (${job.kind} of ${job.serviceId}) sent to server ${job.serverId}`,
      );
      started.push(job);
    } else {
      // The socket closed in between: the job waits for the server again.
      await changeJob(deps, job.id, requeueJob);
      deps.events.emit('service', job.serviceId);
    }
  }
  return started;
}
