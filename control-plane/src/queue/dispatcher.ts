import type { JobSpec } from '@berth/protocol';
import { isoTime, type Now } from '../clock.js';
import type { AgentSessions } from '../hub/hub.js';
import type { Logger } from '../log.js';
import type { Data, JobRecord } from '../store/records.js';
import type { Store } from '../store/store.js';
import { requeueJob } from './finish-job.js';
import { findDeployment } from './records-access.js';

export interface DispatchDeps {
  store: Store;
  sessions: Pick<AgentSessions, 'isConnected' | 'send'>;
  now: Now;
  log: Logger;
  /** Jobs one server runs at the same time (different services). */
  maxParallelPerServer: number;
  deployDeadlineMs: number;
  controlDeadlineMs: number;
}

/** The job as the agent needs it: the service snapshot and the deployment to run. */
export function jobSpec(data: Data, job: JobRecord): JobSpec {
  const deployment = findDeployment(data, job.deploymentId ?? job.releaseDeploymentId);
  return {
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
  };
}

/**
 * Picks the queued jobs that may start now: oldest first, one at a time per
 * service, only on connected servers, and at most `maxParallelPerServer` per server.
 * Returns the jobs it started.
 */
export async function dispatchQueued(deps: DispatchDeps): Promise<JobRecord[]> {
  const data = deps.store.db.data;
  const busyServices = new Set(
    data.jobs.filter((j) => j.status === 'running').map((j) => j.serviceId),
  );
  const runningPerServer = new Map<string, number>();
  for (const job of data.jobs) {
    if (job.status === 'running')
      runningPerServer.set(job.serverId, (runningPerServer.get(job.serverId) ?? 0) + 1);
  }
  const picked: string[] = [];
  const queued = data.jobs
    .filter((j) => j.status === 'queued')
    .sort((a, b) => a.createdAt.localeCompare(b.createdAt));
  for (const job of queued) {
    // A later job of a service never overtakes an earlier one that has to wait.
    if (busyServices.has(job.serviceId)) continue;
    busyServices.add(job.serviceId);
    if (!deps.sessions.isConnected(job.serverId)) continue;
    const running = runningPerServer.get(job.serverId) ?? 0;
    if (running >= deps.maxParallelPerServer) continue;
    runningPerServer.set(job.serverId, running + 1);
    picked.push(job.id);
  }
  if (picked.length === 0) return [];

  const started = await deps.store.db.mutate((live) => {
    const now = deps.now();
    const jobs: JobRecord[] = [];
    for (const id of picked) {
      const job = live.jobs.find((j) => j.id === id);
      if (!job || job.status !== 'queued') continue;
      job.status = 'running';
      job.startedAt = isoTime(now);
      job.deadlineAt = isoTime(
        now + (job.kind === 'deploy' ? deps.deployDeadlineMs : deps.controlDeadlineMs),
      );
      const deployment = findDeployment(live, job.deploymentId);
      if (deployment) deployment.startedAt = job.startedAt;
      const service = live.services.find((s) => s.id === job.serviceId);
      if (service) {
        job.serviceStatusBefore = service.status;
        if (job.kind === 'deploy') service.status = 'deploying';
      }
      jobs.push(structuredClone(job));
    }
    return jobs;
  });

  for (const job of started) {
    const sent = deps.sessions.send(job.serverId, {
      type: 'job.assign',
      job: jobSpec(deps.store.db.data, job),
    });
    if (!sent) {
      // The socket closed in between: the job waits for the server again.
      await deps.store.db.mutate((live) => {
        const record = live.jobs.find((j) => j.id === job.id);
        if (record?.status === 'running') requeueJob(live, record);
      });
    } else {
      deps.log.info(
        `job ${job.id} (${job.kind} of ${job.serviceId}) sent to server ${job.serverId}`,
      );
    }
  }
  return started;
}
