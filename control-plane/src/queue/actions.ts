import { currentActor } from '../auth/current-actor.js';
import { DEFAULT_DRAIN_SECONDS, type CacheMode, type JobKind } from '@berth/protocol';
import { isoTime } from '../clock.js';
import { newId } from '../crypto.js';
import { BerthError, notFound } from '../errors.js';
import type { NewJob } from '../store/history.js';
import {
  isFinalStatus,
  type DeploymentRecord,
  type JobRecord,
  type ServiceConfigRecord,
} from '../store/records.js';
import type { Store } from '../store/store.js';
import { runTimeOf, type QueueDeps } from './context.js';
import { finishJob } from './job-transitions.js';
import { queuedTimeline } from './timeline.js';

export type QueuedAction = NewJob;

export function serviceOrThrow(
  store: Store,
  serviceId: string,
): { service: ServiceConfigRecord; serverId: string } {
  const service = store.services.config(serviceId);
  if (!service) throw notFound('service', serviceId);
  const environment = store.environments.get(service.environmentId);
  if (!environment) throw notFound('environment', service.environmentId);
  return { service, serverId: environment.serverId };
}

export function newJob(
  deps: QueueDeps,
  kind: JobKind,
  service: ServiceConfigRecord,
  serverId: string,
): JobRecord {
  const now = deps.now();
  return {
    id: newId('job'),
    serviceId: service.id,
    kind,
    status: 'queued',
    triggeredBy: currentActor(),
    createdAt: isoTime(now),
    serverId,
    service: {
      id: service.id,
      name: service.name,
      source: service.source,
      ports: service.ports,
      env: service.env,
      healthcheck: service.healthcheck,
      environmentId: service.environmentId,
      domains: service.domains ?? [],
      drainSeconds: service.drainSeconds ?? DEFAULT_DRAIN_SECONDS,
    },
    // The deadline counts from queueing; the dispatcher moves it when the job starts.
    deadlineAt: isoTime(now + runTimeOf(deps, kind)),
  };
}

/** The source as a job's service snapshot holds it: what to fetch, without what was resolved. */
function withoutCommit(source: DeploymentRecord['source']): ServiceConfigRecord['source'] {
  if (source.type !== 'git') return source;
  const { commit: _commit, ...rest } = source;
  return rest;
}

/**
 * Queues a deployment: Deploy before the first success, Redeploy after, a rollback, or a push
 * (a git host's webhook), which pins the pushed commit as the ref to fetch.
 */
export function queueDeployment(
  deps: QueueDeps,
  serviceId: string,
  options: { cache: CacheMode; rollbackOf?: DeploymentRecord; pushedCommit?: string },
): Promise<QueuedAction> {
  const { service, serverId } = serviceOrThrow(deps.store, serviceId);
  const job = newJob(deps, 'deploy', service, serverId);
  const origin = options.rollbackOf;
  const pushed = options.pushedCommit;
  const source: DeploymentRecord['source'] =
    origin?.source ??
    (pushed && service.source.type === 'git'
      ? { ...service.source, ref: pushed, commit: pushed }
      : service.source);
  return deps.store.history.enqueue(serviceId, (state) => {
    const deployment: DeploymentRecord = {
      id: newId('dep'),
      serviceId,
      number: state.lastDeploymentNumber + 1,
      status: 'queued',
      cache: options.cache,
      trigger: origin
        ? 'rollback'
        : pushed
          ? 'push'
          : state.primaryAction === 'redeploy'
            ? 'redeploy'
            : 'deploy',
      triggeredBy: job.triggeredBy,
      source,
      ...(origin?.imageId ? { imageId: origin.imageId } : {}),
      createdAt: job.createdAt,
      phases: queuedTimeline(job.createdAt),
      jobId: job.id,
    };
    const snapshot =
      source === service.source ? job.service : { ...job.service, source: withoutCommit(source) };
    return { job: { ...job, service: snapshot, deploymentId: deployment.id }, deployment };
  });
}

/** Queues a restart of the current release; refused before any successful deployment. */
export function queueRestart(deps: QueueDeps, serviceId: string): Promise<QueuedAction> {
  const { service, serverId } = serviceOrThrow(deps.store, serviceId);
  const job = newJob(deps, 'restart', service, serverId);
  return deps.store.history.enqueue(serviceId, (state) => {
    // The current deployment is always one that succeeded.
    if (!state.currentDeploymentId) {
      throw new BerthError(
        'NO_DEPLOYMENT',
        'There is no successful deployment to restart yet; deploy the service first',
        { status: 409 },
      );
    }
    return { job: { ...job, releaseDeploymentId: state.currentDeploymentId } };
  });
}

export function queueStop(deps: QueueDeps, serviceId: string): Promise<QueuedAction> {
  const { service, serverId } = serviceOrThrow(deps.store, serviceId);
  if (service.exposed) {
    throw new BerthError(
      'EXPOSED',
      `${service.name} is exposed publicly on port ${service.publicPort ?? '?'}; unexpose it first (POST /api/v1/services/${service.id}/unexpose), then stop it`,
      { status: 409 },
    );
  }
  return deps.store.history.enqueue(serviceId, () => ({
    job: newJob(deps, 'stop', service, serverId),
  }));
}

/** Checks that a deployment can be run again exactly; returns it. */
export async function rollbackOrigin(
  store: Store,
  deploymentId: string,
): Promise<DeploymentRecord> {
  const origin = await store.history.deployment(deploymentId);
  if (!origin) throw notFound('deployment', deploymentId);
  if (origin.status !== 'succeeded' || !origin.imageId) {
    throw new BerthError(
      'NOT_SUCCEEDED',
      `Deployment #${origin.number} did not succeed, so there is no release to roll back to`,
      { status: 409 },
    );
  }
  const job = await store.history.job(origin.jobId);
  // Only a report made after the deployment finished can say its image is gone.
  const kept = job ? await store.history.keptImages(job.serverId) : undefined;
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

/**
 * Cancels a deployment. A queued one, or one whose agent is out of contact, ends `cancelled` at
 * once (the agent is told when it is back); a running one is cancelled by its agent.
 */
export async function cancelDeployment(deps: QueueDeps, deploymentId: string): Promise<NewJob> {
  const deployment = await deps.store.history.deployment(deploymentId);
  if (!deployment) throw notFound('deployment', deploymentId);
  const alreadyFinished = () =>
    new BerthError(
      'ALREADY_FINISHED',
      `Deployment #${deployment.number} has already finished (${deployment.status})`,
      { status: 409 },
    );
  const now = deps.now();
  let askAgent = false;
  const unit = await deps.store.history.updateJob(deployment.jobId, (u) => {
    if (isFinalStatus(u.job.status)) throw alreadyFinished();
    u.job.cancelRequestedAt = isoTime(now);
    if (u.job.status === 'running' && !u.job.contactLostAt) {
      askAgent = true;
      return u;
    }
    const error =
      u.job.status === 'queued'
        ? 'Cancelled before it started'
        : 'Cancelled while its agent was out of contact';
    finishJob(u, { status: 'cancelled', error }, now);
    return u;
  });
  if (!unit) throw alreadyFinished();
  deps.events.emit('job', unit.job, unit.deployment);
  deps.events.emit('service', unit.job.serviceId);
  if (askAgent) deps.sessions.send(unit.job.serverId, { type: 'job.cancel', jobId: unit.job.id });
  return { job: unit.job, ...(unit.deployment ? { deployment: unit.deployment } : {}) };
}
