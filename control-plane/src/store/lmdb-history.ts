import type {
  HistoryPage,
  HistoryStore,
  JobUnit,
  LegacyHistory,
  NewJob,
  PrunedHistory,
} from './history.js';
import type { RecordSealer } from '../secrets/record-sealer.js';
import { COMPACT_PENDING } from './lmdb-compaction.js';
import {
  IMPORT_BATCH,
  SECRETS_SEALED,
  activeKey,
  chunks,
  openHistoryTables,
  type HistoryTables,
} from './lmdb-tables.js';
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
 * The history store in LMDB. Writes happen only inside `#write` transactions; the tables, their
 * keys and what each serves are in lmdb-tables.ts.
 */
export class LmdbHistory implements HistoryStore {
  readonly #t: HistoryTables;

  /** Opens the store in the folder `path` (kept 0700); `sealer` seals the env values of jobs. */
  constructor(path: string, options: { sealer?: RecordSealer } = {}) {
    this.#t = openHistoryTables(path, options.sealer);
  }

  enqueue(serviceId: string, build: (service: Readonly<ServiceState>) => NewJob): Promise<NewJob> {
    return this.#write(() => {
      const state = this.#stateOf(serviceId);
      const queueOrder = (this.#t.meta.get('queueOrder') ?? 0) + 1;
      const built = build(state);
      const created: NewJob = { ...built, job: { ...built.job, queueOrder } };
      this.#t.meta.putSync('queueOrder', queueOrder);
      if (created.deployment) {
        const { deployment } = created;
        this.#t.deployments.putSync(deployment.id, deployment);
        this.#t.history.putSync([serviceId, deployment.number], deployment.id);
        this.#t.services.putSync(serviceId, {
          ...state,
          lastDeploymentNumber: Math.max(state.lastDeploymentNumber, deployment.number),
        });
      }
      if (created.backup) {
        const { backup } = created;
        const now = this.#stateOf(serviceId);
        this.#t.backups.putSync(backup.id, backup);
        this.#t.serviceBackups.putSync([serviceId, backup.number], backup.id);
        this.#t.services.putSync(serviceId, {
          ...now,
          lastBackupNumber: Math.max(now.lastBackupNumber ?? 0, backup.number),
        });
      }
      this.#writeJob(undefined, created.job);
      return created;
    });
  }

  job(jobId: string): Promise<JobRecord | undefined> {
    return Promise.resolve(this.#t.jobs.get(jobId));
  }

  deployment(deploymentId: string): Promise<DeploymentRecord | undefined> {
    return Promise.resolve(this.#t.deployments.get(deploymentId));
  }

  deployments(serviceId: string, page: HistoryPage): Promise<DeploymentRecord[]> {
    const range = this.#t.history.getRange({
      start: [serviceId, page.beforeNumber ?? Number.MAX_SAFE_INTEGER],
      end: [serviceId, 0],
      reverse: true,
      limit: page.limit + 1,
    });
    const list: DeploymentRecord[] = [];
    for (const { key, value } of range) {
      if (page.beforeNumber !== undefined && key[1] === page.beforeNumber) continue;
      const deployment = this.#t.deployments.get(value);
      if (deployment) list.push(deployment);
      if (list.length === page.limit) break;
    }
    return Promise.resolve(list);
  }

  hasDeploymentsBefore(serviceId: string, number: number): Promise<boolean> {
    const range = this.#t.history.getKeys({
      start: [serviceId, number],
      end: [serviceId, 0],
      reverse: true,
      limit: 2,
    });
    return Promise.resolve([...range].some((key) => (key[1] as number) < number));
  }

  activeJobs(serverId?: string): Promise<JobRecord[]> {
    const jobs: JobRecord[] = [];
    for (const { key, value } of this.#t.active.getRange()) {
      if (serverId !== undefined && value !== serverId) continue;
      const job = this.#t.jobs.get(String(key[2]));
      if (job) jobs.push(job);
    }
    return Promise.resolve(jobs);
  }

  serviceState(serviceId: string): Promise<ServiceState> {
    return Promise.resolve(this.#stateOf(serviceId));
  }

  serviceStates(serviceIds: readonly string[]): Promise<Map<string, ServiceState>> {
    return Promise.resolve(new Map(serviceIds.map((id) => [id, this.#stateOf(id)])));
  }

  updateJob<T>(jobId: string, change: (unit: JobUnit) => T): Promise<T | undefined> {
    return this.#write(() => {
      const job = this.#t.jobs.get(jobId);
      if (!job) return undefined;
      const deployment = job.deploymentId ? this.#t.deployments.get(job.deploymentId) : undefined;
      const backup = job.backupId ? this.#t.backups.get(job.backupId) : undefined;
      const unit: JobUnit = {
        job: structuredClone(job),
        deployment: deployment && structuredClone(deployment),
        backup: backup && structuredClone(backup),
        service: this.#stateOf(job.serviceId),
      };
      const result = change(unit);
      this.#writeJob(job, unit.job);
      if (unit.backup) this.#t.backups.putSync(unit.backup.id, unit.backup);
      if (unit.deployment) this.#t.deployments.putSync(unit.deployment.id, unit.deployment);
      this.#t.services.putSync(job.serviceId, unit.service);
      return result;
    });
  }

  updateServices(
    serviceIds: readonly string[],
    change: (serviceId: string, state: ServiceState, busy: boolean) => void,
  ): Promise<string[]> {
    return this.#write(() => {
      const busy = new Set<string>();
      for (const { key } of this.#t.active.getRange()) {
        const job = this.#t.jobs.get(String(key[2]));
        if (job?.status === 'running') busy.add(job.serviceId);
      }
      const changed: string[] = [];
      for (const id of serviceIds) {
        const before = this.#stateOf(id);
        const after = structuredClone(before);
        change(id, after, busy.has(id));
        if (JSON.stringify(after) === JSON.stringify(before)) continue;
        this.#t.services.putSync(id, after);
        changed.push(id);
      }
      return changed;
    });
  }

  backup(backupId: string): Promise<BackupRecord | undefined> {
    return Promise.resolve(this.#t.backups.get(backupId));
  }

  backups(serviceId: string, page: HistoryPage): Promise<BackupRecord[]> {
    const range = this.#t.serviceBackups.getRange({
      start: [serviceId, (page.beforeNumber ?? Number.MAX_SAFE_INTEGER) - 1],
      end: [serviceId, 0],
      reverse: true,
      limit: page.limit,
    });
    return Promise.resolve([...range].flatMap(({ value }) => this.#t.backups.get(value) ?? []));
  }

  updateBackup<T>(backupId: string, change: (backup: BackupRecord) => T): Promise<T | undefined> {
    return this.#write(() => {
      const backup = this.#t.backups.get(backupId);
      if (!backup) return undefined;
      const copy = structuredClone(backup);
      const result = change(copy);
      this.#t.backups.putSync(backupId, copy);
      return result;
    });
  }

  async removeBackup(backupId: string): Promise<void> {
    await this.#write(() => {
      const backup = this.#t.backups.get(backupId);
      if (!backup) return;
      this.#t.serviceBackups.removeSync([backup.serviceId, backup.number]);
      this.#t.backups.removeSync(backupId);
    });
  }

  keptImages(serverId: string): Promise<KeptImages | undefined> {
    return Promise.resolve(this.#t.kept.get(serverId));
  }

  async setKeptImages(serverId: string, kept: KeptImages): Promise<void> {
    await this.#write(() => this.#t.kept.putSync(serverId, kept));
  }

  pruneService(serviceId: string, keep: number, limit: number): Promise<PrunedHistory> {
    return this.#write(() => {
      const pruned: PrunedHistory = { deployments: 0, jobIds: [], more: false };
      const current = this.#stateOf(serviceId).currentDeploymentId;
      const beyondKeep = [
        ...this.#t.history.getRange({
          start: [serviceId, Number.MAX_SAFE_INTEGER],
          end: [serviceId, 0],
          reverse: true,
          offset: keep,
          limit,
        }),
      ];
      for (const { key, value } of beyondKeep) {
        const deployment = this.#t.deployments.get(value);
        const job = deployment && this.#t.jobs.get(deployment.jobId);
        // A deployment still running, or the service's current release, is never removed.
        if (!deployment || !job || !isFinalStatus(job.status) || deployment.id === current) {
          continue;
        }
        this.#t.history.removeSync(key);
        this.#t.deployments.removeSync(deployment.id);
        this.#removeJob(job);
        pruned.deployments += 1;
        pruned.jobIds.push(job.id);
      }
      if (pruned.deployments > 0 && beyondKeep.length === limit) {
        pruned.more = true;
        return pruned;
      }
      // Restarts and stops older than the oldest deployment kept go with it.
      const [oldestKept] = this.#t.history.getRange({
        start: [serviceId, 0],
        end: [serviceId, Number.MAX_SAFE_INTEGER],
        limit: 1,
      });
      const oldestKeptAt = oldestKept && this.#t.deployments.get(oldestKept.value)?.createdAt;
      if (oldestKeptAt === undefined) return pruned;
      const older = [
        ...this.#t.serviceJobs.getKeys({
          start: [serviceId, ''],
          end: [serviceId, oldestKeptAt],
          limit,
        }),
      ];
      for (const key of older) {
        const job = this.#t.jobs.get(String(key[2]));
        if (!job || job.kind === 'deploy' || !isFinalStatus(job.status)) continue;
        this.#removeJob(job);
        pruned.jobIds.push(job.id);
      }
      pruned.more = older.length === limit && pruned.jobIds.length > 0;
      return pruned;
    });
  }

  jobsWithLogsFinishedBefore(finishedBefore: string, limit: number): Promise<string[]> {
    const keys = this.#t.finished.getKeys({ start: [''], end: [finishedBefore], limit });
    return Promise.resolve([...keys].map((key) => String(key[1])));
  }

  async markLogsExpired(jobIds: readonly string[]): Promise<void> {
    await this.#write(() => {
      for (const jobId of jobIds) {
        const job = this.#t.jobs.get(jobId);
        if (!job || job.logsExpired) continue;
        this.#writeJob(job, { ...job, logsExpired: true });
        const deployment = job.deploymentId ? this.#t.deployments.get(job.deploymentId) : undefined;
        if (deployment)
          this.#t.deployments.putSync(deployment.id, { ...deployment, logsExpired: true });
      }
    });
  }

  async importLegacy(history: LegacyHistory): Promise<void> {
    // In batches: one huge write transaction would hold the event loop and bloat the free list.
    for (const batch of chunks(history.deployments, IMPORT_BATCH)) {
      await this.#write(() => {
        for (const deployment of batch) {
          this.#t.deployments.putSync(deployment.id, deployment);
          this.#t.history.putSync([deployment.serviceId, deployment.number], deployment.id);
        }
      });
    }
    for (const batch of chunks(history.jobs, IMPORT_BATCH)) {
      await this.#write(() => {
        for (const job of batch) this.#writeJob(this.#t.jobs.get(job.id), job);
      });
    }
    await this.#write(() => {
      for (const { serviceId, ...state } of history.services) {
        this.#t.services.putSync(serviceId, state);
      }
      for (const [serverId, kept] of Object.entries(history.keptImages)) {
        this.#t.kept.putSync(serverId, kept);
      }
    });
  }

  async resealSecrets(): Promise<number> {
    let resealed = 0;
    for (const batch of chunks(this.#t.jobs.ids(), IMPORT_BATCH)) {
      resealed += await this.#write(() => batch.filter((id) => this.#t.jobs.resealSync(id)).length);
    }
    await this.#write(() => {
      this.#t.meta.putSync(SECRETS_SEALED, 1);
      if (resealed > 0) this.#t.meta.putSync(COMPACT_PENDING, 1);
    });
    return resealed;
  }

  secretsSealed(): Promise<boolean> {
    return Promise.resolve(this.#t.meta.get(SECRETS_SEALED) === 1);
  }

  /** Whether rewritten jobs may have left old bytes behind; see lmdb-compaction.ts. */
  compactPending(): boolean {
    return this.#t.meta.get(COMPACT_PENDING) === 1;
  }

  async close(): Promise<void> {
    await this.#t.root.close();
  }

  /**
   * Runs `change` in one write transaction and resolves once it is on disk: committed, and
   * flushed, so an answer given after it survives a crash of the process or of the machine.
   */
  async #write<T>(change: () => T): Promise<T> {
    const result = await this.#t.root.transaction(change);
    await this.#t.root.flushed;
    return result;
  }

  #stateOf(serviceId: string): ServiceState {
    return this.#t.services.get(serviceId) ?? initialServiceState();
  }

  /** Writes a job and keeps its index entries in step with it. */
  #writeJob(before: JobRecord | undefined, after: JobRecord): void {
    if (before) this.#unindex(before);
    this.#t.jobs.putSync(after.id, after);
    this.#t.serviceJobs.putSync([after.serviceId, after.createdAt, after.id], null);
    if (!isFinalStatus(after.status)) this.#t.active.putSync(activeKey(after), after.serverId);
    else if (after.finishedAt && !after.logsExpired) {
      this.#t.finished.putSync([after.finishedAt, after.id], null);
    }
  }

  #removeJob(job: JobRecord): void {
    this.#unindex(job);
    this.#t.serviceJobs.removeSync([job.serviceId, job.createdAt, job.id]);
    this.#t.jobs.removeSync(job.id);
  }

  #unindex(job: JobRecord): void {
    this.#t.active.removeSync(activeKey(job));
    if (job.finishedAt) this.#t.finished.removeSync([job.finishedAt, job.id]);
  }
}
