import type { ContainerState, JobResult, ServiceStatus } from '@berth/protocol';
import { isoTime } from '../clock.js';
import type { Data, JobRecord, ServiceRecord } from '../store/records.js';
import { findDeployment } from './records-access.js';

export interface JobEnd {
  status: 'succeeded' | 'failed' | 'cancelled';
  error?: string;
  result?: JobResult;
}

/** What a service shows after a deploy that did not succeed: what ran before is back. */
function statusAfterFailedDeploy(before: ServiceStatus | undefined, end: JobEnd): ServiceStatus {
  switch (before) {
    case 'running':
    case 'stopped':
    case 'failed':
    case 'unknown':
      return before;
    case 'never-deployed':
    case 'deploying':
    case undefined:
      return end.status === 'cancelled' ? 'never-deployed' : 'failed';
  }
}

function applyToService(service: ServiceRecord, job: JobRecord, end: JobEnd): void {
  const ok = end.status === 'succeeded';
  switch (job.kind) {
    case 'deploy':
      if (ok && job.deploymentId) {
        service.currentDeploymentId = job.deploymentId;
        service.primaryAction = 'redeploy';
        service.status = 'running';
      } else {
        service.status = statusAfterFailedDeploy(job.serviceStatusBefore, end);
      }
      return;
    case 'restart':
      service.status = ok
        ? 'running'
        : end.status === 'failed'
          ? 'failed'
          : (job.serviceStatusBefore ?? 'unknown');
      return;
    case 'stop':
      service.status = ok ? 'stopped' : (job.serviceStatusBefore ?? 'unknown');
      return;
  }
}

/**
 * Ends a job and its deployment, and moves the service on. Returns false when the
 * job had already ended (a repeated `job.finished`), changing nothing. A job
 * failed as "agent lost" is the exception: when the agent comes back and reports
 * how the job really ended, its report wins, so a release that runs never shows
 * as failed.
 */
export function finishJob(
  data: Data,
  jobId: string,
  end: JobEnd & { lost?: boolean },
  nowMs: number,
): boolean {
  const job = data.jobs.find((j) => j.id === jobId);
  if (!job) return false;
  const final = job.status === 'succeeded' || job.status === 'failed' || job.status === 'cancelled';
  if (final && !job.lost) return false;
  if (end.lost) job.lost = true;
  else delete job.lost;
  if (final) delete job.error;
  const finishedAt = isoTime(nowMs);
  job.status = end.status;
  job.finishedAt = finishedAt;
  if (end.error) job.error = end.error;

  const deployment = findDeployment(data, job.deploymentId);
  if (deployment) {
    deployment.status = end.status;
    deployment.finishedAt = finishedAt;
    if (final) delete deployment.error;
    if (end.error) deployment.error = end.error;
    const result = end.result ?? {};
    if (result.imageId) deployment.imageId = result.imageId;
    if (result.containerId) deployment.containerId = result.containerId;
    if (result.unavailableMs !== undefined) deployment.unavailableMs = result.unavailableMs;
    if (deployment.source.type === 'git' && result.commit) deployment.source.commit = result.commit;
    if (deployment.source.type === 'image' && result.digest)
      deployment.source.digest = result.digest;
  }
  const service = data.services.find((s) => s.id === job.serviceId);
  // A job that never started leaves the service as it was.
  if (service && job.serviceStatusBefore !== undefined) applyToService(service, job, end);
  return true;
}

/**
 * Puts a started job back in the queue, as if it had never started: the agent
 * never received it, so nothing ran. Its deployment and service go back too.
 */
export function requeueJob(data: Data, job: JobRecord): void {
  job.status = 'queued';
  delete job.startedAt;
  const deployment = findDeployment(data, job.deploymentId);
  if (deployment) {
    deployment.status = 'queued';
    delete deployment.startedAt;
  }
  const service = data.services.find((s) => s.id === job.serviceId);
  if (service && job.serviceStatusBefore !== undefined) service.status = job.serviceStatusBefore;
  delete job.serviceStatusBefore;
}

/** The status a container state means for its service. */
export function statusFromContainer(state: ContainerState): ServiceStatus {
  switch (state.state) {
    case 'running':
    case 'restarting':
    case 'paused':
    case 'created':
      return state.state === 'running' ? 'running' : 'unknown';
    case 'exited':
      // 0 is a clean exit; 130, 137 and 143 are a stop or kill from outside (docker stop).
      return [0, 130, 137, 143].includes(state.exitCode ?? -1) ? 'stopped' : 'failed';
    case 'dead':
      return 'failed';
    case 'removing':
      return 'stopped';
  }
}
