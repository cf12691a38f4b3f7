import type { ContainerState, ServiceStatus } from '@berth/protocol';
import type { JobRecord, ServiceState } from '../store/records.js';
import type { JobEnd } from './job-transitions.js';

// Every rule for what a service's status shows lives here.

/** A job starting: a deploy shows the service `deploying`; restarts and stops change nothing yet. */
export function serviceOnStart(service: ServiceState, job: JobRecord): void {
  if (job.kind === 'deploy') service.status = 'deploying';
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

/** A started job's outcome moves its service on. */
export function serviceOnFinish(service: ServiceState, job: JobRecord, end: JobEnd): void {
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
    case 'restore':
    case 'expose':
    case 'unexpose':
      // Each runs the database again (a new container, or the restored data).
      service.status = ok ? 'running' : (job.serviceStatusBefore ?? 'unknown');
      return;
    case 'backup':
      return;
  }
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

/** Services on an offline server show `unknown` until their agent reports again. */
export function serviceUnreachable(service: ServiceState): void {
  if (['running', 'stopped', 'failed'].includes(service.status)) service.status = 'unknown';
}
