import type { Data, DeploymentRecord, JobRecord } from '../store/records.js';

export const FINAL_JOB_STATUSES = new Set<JobRecord['status']>([
  'succeeded',
  'failed',
  'cancelled',
]);

export function isFinal(job: Pick<JobRecord, 'status'>): boolean {
  return FINAL_JOB_STATUSES.has(job.status);
}

export function findJob(data: Data, jobId: string): JobRecord | undefined {
  return data.jobs.find((job) => job.id === jobId);
}

export function findDeployment(
  data: Data,
  deploymentId: string | undefined,
): DeploymentRecord | undefined {
  return deploymentId ? data.deployments.find((d) => d.id === deploymentId) : undefined;
}

/** The service's deployments, newest first. */
export function deploymentsOf(data: Data, serviceId: string): DeploymentRecord[] {
  return data.deployments
    .filter((d) => d.serviceId === serviceId)
    .sort((a, b) => b.number - a.number);
}

export function hasSucceeded(data: Data, serviceId: string): boolean {
  return data.deployments.some((d) => d.serviceId === serviceId && d.status === 'succeeded');
}

/** The services whose environment runs on this server. */
export function servicesOn(data: Data, serverId: string): Data['services'] {
  const environments = new Set(
    data.environments.filter((e) => e.serverId === serverId).map((e) => e.id),
  );
  return data.services.filter((s) => environments.has(s.environmentId));
}
