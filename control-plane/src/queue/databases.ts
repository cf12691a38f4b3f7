import { currentActor } from '../auth/current-actor.js';
import {
  ENGINE_PROFILES,
  type DatabaseSource,
  type ExposeBody,
  type RestoreBody,
} from '@berth/protocol';
import { newId } from '../crypto.js';
import { BerthError, notFound } from '../errors.js';
import type { BackupRecord, ServiceConfigRecord } from '../store/records.js';
import { newJob, serviceOrThrow, type QueuedAction } from './actions.js';
import type { QueueDeps } from './context.js';

// The actions only database services have: expose, unexpose, backup and restore. Each is a
// queued job, run by the service's agent in order with its other jobs.

function databaseOrThrow(
  deps: QueueDeps,
  serviceId: string,
): { service: ServiceConfigRecord; source: DatabaseSource; serverId: string } {
  const { service, serverId } = serviceOrThrow(deps.store, serviceId);
  if (service.source.type !== 'database') {
    throw new BerthError(
      'CONFLICT',
      `${service.name} is not a database service; only databases can be exposed, backed up or restored`,
      { status: 409 },
    );
  }
  return { service, source: service.source, serverId };
}

/** Publishes the database's port on its server: the port asked for, or a free one. */
export function queueExpose(
  deps: QueueDeps,
  serviceId: string,
  body: ExposeBody,
): Promise<QueuedAction> {
  const { service, serverId } = databaseOrThrow(deps, serviceId);
  if (body.allowFrom !== undefined) {
    throw new BerthError(
      'INVALID_INPUT',
      'allowFrom is not supported yet: an exposed database accepts connections from any address, so restrict it with the server firewall',
      { fields: [{ path: 'allowFrom', message: 'not supported yet' }] },
    );
  }
  const clash = deps.store.services
    .configsOnServer(serverId)
    .find(
      (other) =>
        other.id !== service.id &&
        body.port !== undefined &&
        ((other.exposed && other.publicPort === body.port) ||
          other.ports.some((p) => p.host === body.port)),
    );
  if (clash) {
    throw new BerthError(
      'CONFLICT',
      `Port ${body.port} is already published by ${clash.name} on this server; choose another port or leave it out to get a free one`,
      { status: 409 },
    );
  }
  const job = newJob(deps, 'expose', service, serverId);
  return deps.store.history.enqueue(serviceId, () => ({
    job: { ...job, ...(body.port === undefined ? {} : { exposePort: body.port }) },
  }));
}

export function queueUnexpose(deps: QueueDeps, serviceId: string): Promise<QueuedAction> {
  const { service, serverId } = databaseOrThrow(deps, serviceId);
  return deps.store.history.enqueue(serviceId, () => ({
    job: newJob(deps, 'unexpose', service, serverId),
  }));
}

function newBackup(
  deps: QueueDeps,
  args: {
    service: ServiceConfigRecord;
    source: DatabaseSource;
    serverId: string;
    number: number;
    jobId: string;
    trigger: BackupRecord['trigger'];
    safetyFor?: string;
  },
): BackupRecord {
  const { service, source } = args;
  return {
    id: newId('bak'),
    serviceId: service.id,
    number: args.number,
    status: 'queued',
    trigger: args.trigger,
    triggeredBy: currentActor(),
    engine: source.engine,
    format: ENGINE_PROFILES[source.engine].format,
    createdAt: new Date(deps.now()).toISOString(),
    jobId: args.jobId,
    serverId: args.serverId,
    verify: service.backup?.verify ?? true,
    ...(args.safetyFor ? { safetyFor: args.safetyFor } : {}),
  };
}

export interface QueuedBackup extends QueuedAction {
  backup: BackupRecord;
}

/** Queues a backup: dumped on the server, stored here, then test-restored when verification is on. */
export async function queueBackup(
  deps: QueueDeps,
  serviceId: string,
  trigger: BackupRecord['trigger'],
): Promise<QueuedBackup> {
  const { service, source, serverId } = databaseOrThrow(deps, serviceId);
  const job = newJob(deps, 'backup', service, serverId);
  const queued = await deps.store.history.enqueue(serviceId, (state) => {
    const backup = newBackup(deps, {
      service,
      source,
      serverId,
      number: (state.lastBackupNumber ?? 0) + 1,
      jobId: job.id,
      trigger,
    });
    return { job: { ...job, backupId: backup.id }, backup };
  });
  return { ...queued, backup: queued.backup! };
}

/**
 * Queues a restore of a succeeded backup into its service. Unless the body says
 * `safetyBackup: false`, the job first backs up the data it is about to replace.
 */
export async function queueRestore(
  deps: QueueDeps,
  backupId: string,
  body: RestoreBody,
): Promise<QueuedAction> {
  const backup = await deps.store.history.backup(backupId);
  if (!backup) throw notFound('backup', backupId);
  if (backup.status !== 'succeeded' || !backup.stored) {
    throw new BerthError(
      'NOT_SUCCEEDED',
      `Backup #${backup.number} did not succeed (${backup.status}), so it cannot be restored; pick a succeeded backup`,
      { status: 409 },
    );
  }
  const { service, source, serverId } = databaseOrThrow(deps, backup.serviceId);
  if (source.engine !== backup.engine) {
    throw new BerthError(
      'CONFLICT',
      `Backup #${backup.number} is a ${backup.engine} backup; ${service.name} runs ${source.engine}`,
      { status: 409 },
    );
  }
  const job = { ...newJob(deps, 'restore', service, serverId), restoreOf: backup.id };
  return deps.store.history.enqueue(service.id, (state) => {
    if (!state.currentDeploymentId) {
      throw new BerthError(
        'NO_DEPLOYMENT',
        `${service.name} has never been deployed; deploy it before restoring a backup into it`,
        { status: 409 },
      );
    }
    if (!body.safetyBackup) return { job };
    const safety = newBackup(deps, {
      service,
      source,
      serverId,
      number: (state.lastBackupNumber ?? 0) + 1,
      jobId: job.id,
      trigger: 'manual',
      safetyFor: job.id,
    });
    return { job: { ...job, backupId: safety.id }, backup: safety };
  });
}
