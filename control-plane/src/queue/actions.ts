import type { CacheMode, JobKind } from '@berth/protocol';
import { isoTime, type Now } from '../clock.js';
import { newId } from '../crypto.js';
import { BerthError, notFound } from '../errors.js';
import type { DeploymentRecord, JobRecord, ServiceRecord } from '../store/records.js';
import type { Store } from '../store/store.js';
import { deploymentsOf, findDeployment, hasSucceeded } from './records-access.js';

export interface ActionDeps {
  store: Store;
  now: Now;
  /** How long a deploy job may run, in milliseconds. */
  deployDeadlineMs: number;
  /** How long a restart or stop may run, in milliseconds. */
  controlDeadlineMs: number;
}

export interface QueuedAction {
  job: JobRecord;
  deployment?: DeploymentRecord;
}

function serviceOrThrow(
  store: Store,
  serviceId: string,
): { service: ServiceRecord; serverId: string } {
  const service = store.services.get(serviceId);
  if (!service) throw notFound('service', serviceId);
  const environment = store.environments.get(service.environmentId);
  if (!environment) throw notFound('environment', service.environmentId);
  return { service, serverId: environment.serverId };
}

function newJob(
  deps: ActionDeps,
  kind: JobKind,
  service: ServiceRecord,
  serverId: string,
): JobRecord {
  const now = deps.now();
  const deadlineMs = kind === 'deploy' ? deps.deployDeadlineMs : deps.controlDeadlineMs;
  return {
    id: newId('job'),
    serviceId: service.id,
    kind,
    status: 'queued',
    createdAt: isoTime(now),
    serverId,
    service: {
      id: service.id,
      name: service.name,
      source: service.source,
      ports: service.ports,
      env: service.env,
      healthcheck: service.healthcheck,
    },
    // The deadline counts from queueing; the dispatcher moves it when the job starts.
    deadlineAt: isoTime(now + deadlineMs),
  };
}

/** Queues a deployment: Deploy before the first success, Redeploy after, or a rollback. */
export async function queueDeployment(
  deps: ActionDeps,
  serviceId: string,
  options: { cache: CacheMode; rollbackOf?: DeploymentRecord },
): Promise<QueuedAction> {
  const { service, serverId } = serviceOrThrow(deps.store, serviceId);
  const job = newJob(deps, 'deploy', service, serverId);
  return deps.store.db.mutate((data) => {
    const number = (deploymentsOf(data, serviceId)[0]?.number ?? 0) + 1;
    const origin = options.rollbackOf;
    const deployment: DeploymentRecord = {
      id: newId('dep'),
      serviceId,
      number,
      status: 'queued',
      cache: options.cache,
      trigger: origin ? 'rollback' : hasSucceeded(data, serviceId) ? 'redeploy' : 'deploy',
      source: origin ? origin.source : service.source,
      ...(origin?.imageId ? { imageId: origin.imageId } : {}),
      createdAt: job.createdAt,
      jobId: job.id,
    };
    if (origin) job.service = { ...job.service, source: origin.source };
    job.deploymentId = deployment.id;
    data.jobs.push(job);
    data.deployments.push(deployment);
    return { job: structuredClone(job), deployment: structuredClone(deployment) };
  });
}

/** Queues a restart of the current release; refused before any successful deployment. */
export async function queueRestart(deps: ActionDeps, serviceId: string): Promise<QueuedAction> {
  const { service, serverId } = serviceOrThrow(deps.store, serviceId);
  const job = newJob(deps, 'restart', service, serverId);
  return deps.store.db.mutate((data) => {
    const current = findDeployment(data, service.currentDeploymentId ?? undefined);
    if (!current || current.status !== 'succeeded') {
      throw new BerthError(
        'NO_DEPLOYMENT',
        'There is no successful deployment to restart yet; deploy the service first',
        {
          status: 409,
        },
      );
    }
    job.releaseDeploymentId = current.id;
    data.jobs.push(job);
    return { job: structuredClone(job) };
  });
}

export async function queueStop(deps: ActionDeps, serviceId: string): Promise<QueuedAction> {
  const { service, serverId } = serviceOrThrow(deps.store, serviceId);
  const job = newJob(deps, 'stop', service, serverId);
  return deps.store.db.mutate((data) => {
    data.jobs.push(job);
    return { job: structuredClone(job) };
  });
}

/** Checks that a deployment can be run again exactly; returns it. */
export function rollbackOrigin(store: Store, deploymentId: string): DeploymentRecord {
  const data = store.db.data;
  const origin = findDeployment(data, deploymentId);
  if (!origin) throw notFound('deployment', deploymentId);
  if (origin.status !== 'succeeded' || !origin.imageId) {
    throw new BerthError(
      'NOT_SUCCEEDED',
      `Deployment #${origin.number} did not succeed, so there is no release to roll back to`,
      {
        status: 409,
      },
    );
  }
  const job = data.jobs.find((j) => j.id === origin.jobId);
  // Only a report made after the deployment finished can say its image is gone.
  const kept = job ? data.keptImages[job.serverId] : undefined;
  const reportIsNewer =
    kept && origin.finishedAt !== undefined && kept.reportedAt > origin.finishedAt;
  if (kept && reportIsNewer && !kept.imageIds.includes(origin.imageId)) {
    throw new BerthError(
      'IMAGE_GONE',
      `The image of deployment #${origin.number} was pruned from its server; set the service's source to that commit or image and redeploy instead`,
      { status: 409 },
    );
  }
  return origin;
}
