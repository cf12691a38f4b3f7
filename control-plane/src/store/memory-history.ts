import type {
  HistoryPage,
  HistoryStore,
  JobUnit,
  LegacyHistory,
  NewJob,
  PrunedHistory,
} from './history.js';
import {
  initialServiceState,
  isFinalStatus,
  type BackupRecord,
  type DeploymentRecord,
  type JobRecord,
  type KeptImages,
  type ServiceState,
} from './records.js';

/**
 * The history in plain maps, for unit tests. Every call finishes in one synchronous step, which
 * makes it atomic; queries scan, which is fine for the few records a test holds.
 */
export class MemoryHistory implements HistoryStore {
  readonly #jobs = new Map<string, JobRecord>();
  readonly #deployments = new Map<string, DeploymentRecord>();
  readonly #services = new Map<string, ServiceState>();
  readonly #kept = new Map<string, KeptImages>();
  readonly #backups = new Map<string, BackupRecord>();
  #queueOrder = 0;

  enqueue(serviceId: string, build: (service: Readonly<ServiceState>) => NewJob): Promise<NewJob> {
    return this.#atomically(() => {
      const state = this.#stateOf(serviceId);
      const built = build(state);
      const created = structuredClone({
        ...built,
        job: { ...built.job, queueOrder: ++this.#queueOrder },
      });
      if (created.deployment) {
        this.#deployments.set(created.deployment.id, created.deployment);
        const last = Math.max(state.lastDeploymentNumber, created.deployment.number);
        this.#services.set(serviceId, { ...state, lastDeploymentNumber: last });
      }
      if (created.backup) {
        this.#backups.set(created.backup.id, created.backup);
        const now = this.#stateOf(serviceId);
        const last = Math.max(now.lastBackupNumber ?? 0, created.backup.number);
        this.#services.set(serviceId, { ...now, lastBackupNumber: last });
      }
      this.#jobs.set(created.job.id, created.job);
      return structuredClone(created);
    });
  }

  job(jobId: string): Promise<JobRecord | undefined> {
    return this.#atomically(() => structuredClone(this.#jobs.get(jobId)));
  }

  deployment(deploymentId: string): Promise<DeploymentRecord | undefined> {
    return this.#atomically(() => structuredClone(this.#deployments.get(deploymentId)));
  }

  deployments(serviceId: string, page: HistoryPage): Promise<DeploymentRecord[]> {
    return this.#atomically(() =>
      this.#newestFirst(serviceId)
        .filter((d) => page.beforeNumber === undefined || d.number < page.beforeNumber)
        .slice(0, page.limit)
        .map((d) => structuredClone(d)),
    );
  }

  hasDeploymentsBefore(serviceId: string, number: number): Promise<boolean> {
    return this.#atomically(() => this.#newestFirst(serviceId).some((d) => d.number < number));
  }

  activeJobs(serverId?: string): Promise<JobRecord[]> {
    return this.#atomically(() =>
      [...this.#jobs.values()]
        .filter((job) => !isFinalStatus(job.status))
        .filter((job) => serverId === undefined || job.serverId === serverId)
        .sort(
          (a, b) =>
            byKey([a.createdAt], [b.createdAt]) || (a.queueOrder ?? 0) - (b.queueOrder ?? 0),
        )
        .map((job) => structuredClone(job)),
    );
  }

  serviceState(serviceId: string): Promise<ServiceState> {
    return this.#atomically(() => this.#stateOf(serviceId));
  }

  serviceStates(serviceIds: readonly string[]): Promise<Map<string, ServiceState>> {
    return this.#atomically(() => new Map(serviceIds.map((id) => [id, this.#stateOf(id)])));
  }

  updateJob<T>(jobId: string, change: (unit: JobUnit) => T): Promise<T | undefined> {
    return this.#atomically(() => {
      const job = this.#jobs.get(jobId);
      if (!job) return undefined;
      const deployment = job.deploymentId ? this.#deployments.get(job.deploymentId) : undefined;
      const backup = job.backupId ? this.#backups.get(job.backupId) : undefined;
      const unit: JobUnit = {
        job: structuredClone(job),
        deployment: structuredClone(deployment),
        backup: structuredClone(backup),
        service: this.#stateOf(job.serviceId),
      };
      const result = change(unit);
      this.#jobs.set(jobId, structuredClone(unit.job));
      if (unit.backup) this.#backups.set(unit.backup.id, structuredClone(unit.backup));
      if (unit.deployment)
        this.#deployments.set(unit.deployment.id, structuredClone(unit.deployment));
      this.#services.set(job.serviceId, structuredClone(unit.service));
      return result;
    });
  }

  updateServices(
    serviceIds: readonly string[],
    change: (serviceId: string, state: ServiceState, busy: boolean) => void,
  ): Promise<string[]> {
    return this.#atomically(() => {
      const busy = new Set(
        [...this.#jobs.values()].filter((j) => j.status === 'running').map((j) => j.serviceId),
      );
      const changed: string[] = [];
      for (const id of serviceIds) {
        const before = this.#stateOf(id);
        const after = structuredClone(before);
        change(id, after, busy.has(id));
        if (JSON.stringify(after) === JSON.stringify(before)) continue;
        this.#services.set(id, after);
        changed.push(id);
      }
      return changed;
    });
  }

  backup(backupId: string): Promise<BackupRecord | undefined> {
    return this.#atomically(() => structuredClone(this.#backups.get(backupId)));
  }

  backups(serviceId: string, page: HistoryPage): Promise<BackupRecord[]> {
    return this.#atomically(() =>
      [...this.#backups.values()]
        .filter((b) => b.serviceId === serviceId)
        .filter((b) => page.beforeNumber === undefined || b.number < page.beforeNumber)
        .sort((a, b) => b.number - a.number)
        .slice(0, page.limit)
        .map((b) => structuredClone(b)),
    );
  }

  updateBackup<T>(backupId: string, change: (backup: BackupRecord) => T): Promise<T | undefined> {
    return this.#atomically(() => {
      const backup = this.#backups.get(backupId);
      if (!backup) return undefined;
      const copy = structuredClone(backup);
      const result = change(copy);
      this.#backups.set(backupId, copy);
      return result;
    });
  }

  removeBackup(backupId: string): Promise<void> {
    return this.#atomically(() => {
      this.#backups.delete(backupId);
    });
  }

  keptImages(serverId: string): Promise<KeptImages | undefined> {
    return this.#atomically(() => structuredClone(this.#kept.get(serverId)));
  }

  setKeptImages(serverId: string, kept: KeptImages): Promise<void> {
    return this.#atomically(() => void this.#kept.set(serverId, structuredClone(kept)));
  }

  pruneService(serviceId: string, keep: number, limit: number): Promise<PrunedHistory> {
    return this.#atomically(() => {
      const pruned: PrunedHistory = { deployments: 0, jobIds: [], more: false };
      const current = this.#stateOf(serviceId).currentDeploymentId;
      const beyondKeep = this.#newestFirst(serviceId).slice(keep, keep + limit);
      for (const deployment of beyondKeep) {
        const job = this.#jobs.get(deployment.jobId);
        if (!job || !isFinalStatus(job.status) || deployment.id === current) continue;
        this.#deployments.delete(deployment.id);
        this.#jobs.delete(job.id);
        pruned.deployments += 1;
        pruned.jobIds.push(job.id);
      }
      if (pruned.deployments > 0 && beyondKeep.length === limit) {
        pruned.more = true;
        return pruned;
      }
      const oldestKeptAt = this.#newestFirst(serviceId).at(-1)?.createdAt;
      if (oldestKeptAt === undefined) return pruned;
      const older = [...this.#jobs.values()]
        .filter((job) => job.serviceId === serviceId && job.createdAt < oldestKeptAt)
        .sort((a, b) => byKey([a.createdAt, a.id], [b.createdAt, b.id]))
        .slice(0, limit);
      for (const job of older) {
        if (job.kind === 'deploy' || !isFinalStatus(job.status)) continue;
        this.#jobs.delete(job.id);
        pruned.jobIds.push(job.id);
      }
      pruned.more = older.length === limit && pruned.jobIds.length > 0;
      return pruned;
    });
  }

  jobsWithLogsFinishedBefore(finishedBefore: string, limit: number): Promise<string[]> {
    return this.#atomically(() =>
      [...this.#jobs.values()]
        .filter((j) => j.finishedAt !== undefined && j.finishedAt < finishedBefore)
        .filter((j) => isFinalStatus(j.status) && !j.logsExpired)
        .sort((a, b) => byKey([a.finishedAt!, a.id], [b.finishedAt!, b.id]))
        .slice(0, limit)
        .map((j) => j.id),
    );
  }

  markLogsExpired(jobIds: readonly string[]): Promise<void> {
    return this.#atomically(() => {
      for (const id of jobIds) {
        const job = this.#jobs.get(id);
        if (!job) continue;
        job.logsExpired = true;
        const deployment = job.deploymentId ? this.#deployments.get(job.deploymentId) : undefined;
        if (deployment) deployment.logsExpired = true;
      }
    });
  }

  importLegacy(history: LegacyHistory): Promise<void> {
    return this.#atomically(() => {
      for (const d of history.deployments) this.#deployments.set(d.id, structuredClone(d));
      for (const j of history.jobs) this.#jobs.set(j.id, structuredClone(j));
      for (const { serviceId, ...state } of history.services) this.#services.set(serviceId, state);
      for (const [id, kept] of Object.entries(history.keptImages)) this.#kept.set(id, kept);
    });
  }

  /** Nothing here reaches a disk, so nothing is sealed. */
  resealSecrets(): Promise<number> {
    return Promise.resolve(0);
  }

  secretsSealed(): Promise<boolean> {
    return Promise.resolve(true);
  }

  close(): Promise<void> {
    return Promise.resolve();
  }

  #atomically<T>(step: () => T): Promise<T> {
    try {
      return Promise.resolve(step());
    } catch (err) {
      return Promise.reject(err as Error);
    }
  }

  #stateOf(serviceId: string): ServiceState {
    return structuredClone(this.#services.get(serviceId) ?? initialServiceState());
  }

  #newestFirst(serviceId: string): DeploymentRecord[] {
    return [...this.#deployments.values()]
      .filter((d) => d.serviceId === serviceId)
      .sort((a, b) => b.number - a.number);
  }
}

function byKey(a: readonly string[], b: readonly string[]): number {
  return a.join('\u0000') < b.join('\u0000') ? -1 : a.join('\u0000') > b.join('\u0000') ? 1 : 0;
}
