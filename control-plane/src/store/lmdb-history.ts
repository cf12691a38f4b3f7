import { open, type Database as LmdbDatabase, type RootDatabase } from 'lmdb';
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
import { SealedJobTable } from './sealed-job-table.js';
import {
  initialServiceState,
  isFinalStatus,
  type BackupRecord,
  type DeploymentRecord,
  type JobRecord,
  type KeptImages,
  type ServiceState,
} from './records.js';

type Key = (string | number)[];

const SECRETS_SEALED = 'secretsSealed';

/** Records written per transaction by the migration. */
const IMPORT_BATCH = 1_000;

/** Jobs queued in the same millisecond keep the order they were queued in. */
function activeKey(job: JobRecord): Key {
  return [job.createdAt, job.queueOrder ?? 0, job.id];
}

function* chunks<T>(items: readonly T[], size: number): Generator<readonly T[]> {
  for (let i = 0; i < items.length; i += size) yield items.slice(i, i + size);
}

/**
 * Writes happen only inside `transaction` callbacks, with the `*Sync` calls that join the
 * callback's write transaction; it commits, durably, when the callback returns.
 *
 * The history in LMDB: one memory-mapped file, ACID transactions, ordered keys. Records are
 * keyed by id; ordered index tables serve the product's queries without scans:
 *
 * | table        | key                            | value        | serves                       |
 * |--------------|--------------------------------|--------------|------------------------------|
 * | jobs         | jobId                          | JobRecord    | a job by id                  |
 * | deployments  | deploymentId                   | Deployment   | a deployment by id           |
 * | history      | [serviceId, number]            | deploymentId | newest-first pages, `before` |
 * | serviceJobs  | [serviceId, createdAt, jobId]  | null         | retention of restarts/stops  |
 * | active       | [createdAt, queueOrder, jobId] | serverId     | queued and running, in order |
 * | finished     | [finishedAt, jobId]            | null         | log retention by age         |
 * | services     | serviceId                      | ServiceState | status, current deployment   |
 * | kept         | serverId                       | KeptImages   | rollback checks              |
 * | backups      | backupId                       | BackupRecord | a backup by id               |
 * | serviceBackups | [serviceId, number]          | backupId     | newest-first backup pages    |
 * | meta         | 'queueOrder'                   | number       | the order of jobs queued     |
 *                                                                  in the same millisecond
 * | meta         | 'secretsSealed', COMPACT_PENDING | 1          | sealing, lmdb-compaction.ts  |
 * The env values in `jobs` (the service as deployed) are sealed; see secrets/secret-fields.ts.
 */
export class LmdbHistory implements HistoryStore {
  readonly #root: RootDatabase;
  readonly #jobs: SealedJobTable;
  readonly #deployments: LmdbDatabase<DeploymentRecord, string>;
  readonly #history: LmdbDatabase<string, Key>;
  readonly #serviceJobs: LmdbDatabase<null, Key>;
  readonly #active: LmdbDatabase<string, Key>;
  readonly #finished: LmdbDatabase<null, Key>;
  readonly #services: LmdbDatabase<ServiceState, string>;
  readonly #kept: LmdbDatabase<KeptImages, string>;
  readonly #meta: LmdbDatabase<number, string>;
  readonly #backups: LmdbDatabase<BackupRecord, string>;
  readonly #serviceBackups: LmdbDatabase<string, Key>;

  /** Opens the store in the folder `path` (kept 0700); `sealer` seals the env values of jobs. */
  constructor(path: string, options: { sealer?: RecordSealer } = {}) {
    this.#root = open({ path, compression: false });
    const table = <V, K extends Key | string>(name: string) =>
      this.#root.openDB<V, K>({ name, cache: false });
    this.#jobs = new SealedJobTable(table('jobs'), options.sealer, path);
    this.#deployments = table('deployments');
    this.#history = table('history');
    this.#serviceJobs = table('serviceJobs');
    this.#active = table('active');
    this.#finished = table('finished');
    this.#services = table('services');
    this.#kept = table('kept');
    this.#meta = table('meta');
    this.#backups = table('backups');
    this.#serviceBackups = table('serviceBackups');
  }

  enqueue(serviceId: string, build: (service: Readonly<ServiceState>) => NewJob): Promise<NewJob> {
    return this.#write(() => {
      const state = this.#stateOf(serviceId);
      const queueOrder = (this.#meta.get('queueOrder') ?? 0) + 1;
      const built = build(state);
      const created: NewJob = { ...built, job: { ...built.job, queueOrder } };
      this.#meta.putSync('queueOrder', queueOrder);
      if (created.deployment) {
        const { deployment } = created;
        this.#deployments.putSync(deployment.id, deployment);
        this.#history.putSync([serviceId, deployment.number], deployment.id);
        this.#services.putSync(serviceId, {
          ...state,
          lastDeploymentNumber: Math.max(state.lastDeploymentNumber, deployment.number),
        });
      }
      if (created.backup) {
        const { backup } = created;
        const now = this.#stateOf(serviceId);
        this.#backups.putSync(backup.id, backup);
        this.#serviceBackups.putSync([serviceId, backup.number], backup.id);
        this.#services.putSync(serviceId, {
          ...now,
          lastBackupNumber: Math.max(now.lastBackupNumber ?? 0, backup.number),
        });
      }
      this.#writeJob(undefined, created.job);
      return created;
    });
  }

  job(jobId: string): Promise<JobRecord | undefined> {
    return Promise.resolve(this.#jobs.get(jobId));
  }

  deployment(deploymentId: string): Promise<DeploymentRecord | undefined> {
    return Promise.resolve(this.#deployments.get(deploymentId));
  }

  deployments(serviceId: string, page: HistoryPage): Promise<DeploymentRecord[]> {
    const range = this.#history.getRange({
      start: [serviceId, page.beforeNumber ?? Number.MAX_SAFE_INTEGER],
      end: [serviceId, 0],
      reverse: true,
      limit: page.limit + 1,
    });
    const list: DeploymentRecord[] = [];
    for (const { key, value } of range) {
      if (page.beforeNumber !== undefined && key[1] === page.beforeNumber) continue;
      const deployment = this.#deployments.get(value);
      if (deployment) list.push(deployment);
      if (list.length === page.limit) break;
    }
    return Promise.resolve(list);
  }

  hasDeploymentsBefore(serviceId: string, number: number): Promise<boolean> {
    const range = this.#history.getKeys({
      start: [serviceId, number],
      end: [serviceId, 0],
      reverse: true,
      limit: 2,
    });
    return Promise.resolve([...range].some((key) => (key[1] as number) < number));
  }

  activeJobs(serverId?: string): Promise<JobRecord[]> {
    const jobs: JobRecord[] = [];
    for (const { key, value } of this.#active.getRange()) {
      if (serverId !== undefined && value !== serverId) continue;
      const job = this.#jobs.get(String(key[2]));
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
      const job = this.#jobs.get(jobId);
      if (!job) return undefined;
      const deployment = job.deploymentId ? this.#deployments.get(job.deploymentId) : undefined;
      const backup = job.backupId ? this.#backups.get(job.backupId) : undefined;
      const unit: JobUnit = {
        job: structuredClone(job),
        deployment: deployment && structuredClone(deployment),
        backup: backup && structuredClone(backup),
        service: this.#stateOf(job.serviceId),
      };
      const result = change(unit);
      this.#writeJob(job, unit.job);
      if (unit.backup) this.#backups.putSync(unit.backup.id, unit.backup);
      if (unit.deployment) this.#deployments.putSync(unit.deployment.id, unit.deployment);
      this.#services.putSync(job.serviceId, unit.service);
      return result;
    });
  }

  updateServices(
    serviceIds: readonly string[],
    change: (serviceId: string, state: ServiceState, busy: boolean) => void,
  ): Promise<string[]> {
    return this.#write(() => {
      const busy = new Set<string>();
      for (const { key } of this.#active.getRange()) {
        const job = this.#jobs.get(String(key[2]));
        if (job?.status === 'running') busy.add(job.serviceId);
      }
      const changed: string[] = [];
      for (const id of serviceIds) {
        const before = this.#stateOf(id);
        const after = structuredClone(before);
        change(id, after, busy.has(id));
        if (JSON.stringify(after) === JSON.stringify(before)) continue;
        this.#services.putSync(id, after);
        changed.push(id);
      }
      return changed;
    });
  }

  backup(backupId: string): Promise<BackupRecord | undefined> {
    return Promise.resolve(this.#backups.get(backupId));
  }

  backups(serviceId: string, page: HistoryPage): Promise<BackupRecord[]> {
    const range = this.#serviceBackups.getRange({
      start: [serviceId, (page.beforeNumber ?? Number.MAX_SAFE_INTEGER) - 1],
      end: [serviceId, 0],
      reverse: true,
      limit: page.limit,
    });
    return Promise.resolve([...range].flatMap(({ value }) => this.#backups.get(value) ?? []));
  }

  updateBackup<T>(backupId: string, change: (backup: BackupRecord) => T): Promise<T | undefined> {
    return this.#write(() => {
      const backup = this.#backups.get(backupId);
      if (!backup) return undefined;
      const copy = structuredClone(backup);
      const result = change(copy);
      this.#backups.putSync(backupId, copy);
      return result;
    });
  }

  async removeBackup(backupId: string): Promise<void> {
    await this.#write(() => {
      const backup = this.#backups.get(backupId);
      if (!backup) return;
      this.#serviceBackups.removeSync([backup.serviceId, backup.number]);
      this.#backups.removeSync(backupId);
    });
  }

  keptImages(serverId: string): Promise<KeptImages | undefined> {
    return Promise.resolve(this.#kept.get(serverId));
  }

  async setKeptImages(serverId: string, kept: KeptImages): Promise<void> {
    await this.#write(() => this.#kept.putSync(serverId, kept));
  }

  pruneService(serviceId: string, keep: number, limit: number): Promise<PrunedHistory> {
    return this.#write(() => {
      const pruned: PrunedHistory = { deployments: 0, jobIds: [], more: false };
      const current = this.#stateOf(serviceId).currentDeploymentId;
      const beyondKeep = [
        ...this.#history.getRange({
          start: [serviceId, Number.MAX_SAFE_INTEGER],
          end: [serviceId, 0],
          reverse: true,
          offset: keep,
          limit,
        }),
      ];
      for (const { key, value } of beyondKeep) {
        const deployment = this.#deployments.get(value);
        const job = deployment && this.#jobs.get(deployment.jobId);
        // A deployment still running, or the service's current release, is never removed.
        if (!deployment || !job || !isFinalStatus(job.status) || deployment.id === current) {
          continue;
        }
        this.#history.removeSync(key);
        this.#deployments.removeSync(deployment.id);
        this.#removeJob(job);
        pruned.deployments += 1;
        pruned.jobIds.push(job.id);
      }
      if (pruned.deployments > 0 && beyondKeep.length === limit) {
        pruned.more = true;
        return pruned;
      }
      // Restarts and stops older than the oldest deployment kept go with it.
      const [oldestKept] = this.#history.getRange({
        start: [serviceId, 0],
        end: [serviceId, Number.MAX_SAFE_INTEGER],
        limit: 1,
      });
      const oldestKeptAt = oldestKept && this.#deployments.get(oldestKept.value)?.createdAt;
      if (oldestKeptAt === undefined) return pruned;
      const older = [
        ...this.#serviceJobs.getKeys({
          start: [serviceId, ''],
          end: [serviceId, oldestKeptAt],
          limit,
        }),
      ];
      for (const key of older) {
        const job = this.#jobs.get(String(key[2]));
        if (!job || job.kind === 'deploy' || !isFinalStatus(job.status)) continue;
        this.#removeJob(job);
        pruned.jobIds.push(job.id);
      }
      pruned.more = older.length === limit && pruned.jobIds.length > 0;
      return pruned;
    });
  }

  jobsWithLogsFinishedBefore(finishedBefore: string, limit: number): Promise<string[]> {
    const keys = this.#finished.getKeys({ start: [''], end: [finishedBefore], limit });
    return Promise.resolve([...keys].map((key) => String(key[1])));
  }

  async markLogsExpired(jobIds: readonly string[]): Promise<void> {
    await this.#write(() => {
      for (const jobId of jobIds) {
        const job = this.#jobs.get(jobId);
        if (!job || job.logsExpired) continue;
        this.#writeJob(job, { ...job, logsExpired: true });
        const deployment = job.deploymentId ? this.#deployments.get(job.deploymentId) : undefined;
        if (deployment)
          this.#deployments.putSync(deployment.id, { ...deployment, logsExpired: true });
      }
    });
  }

  async importLegacy(history: LegacyHistory): Promise<void> {
    // In batches: one huge write transaction would hold the event loop and bloat the free list.
    for (const batch of chunks(history.deployments, IMPORT_BATCH)) {
      await this.#write(() => {
        for (const deployment of batch) {
          this.#deployments.putSync(deployment.id, deployment);
          this.#history.putSync([deployment.serviceId, deployment.number], deployment.id);
        }
      });
    }
    for (const batch of chunks(history.jobs, IMPORT_BATCH)) {
      await this.#write(() => {
        for (const job of batch) this.#writeJob(this.#jobs.get(job.id), job);
      });
    }
    await this.#write(() => {
      for (const { serviceId, ...state } of history.services) {
        this.#services.putSync(serviceId, state);
      }
      for (const [serverId, kept] of Object.entries(history.keptImages)) {
        this.#kept.putSync(serverId, kept);
      }
    });
  }

  async resealSecrets(): Promise<number> {
    let resealed = 0;
    for (const batch of chunks(this.#jobs.ids(), IMPORT_BATCH)) {
      resealed += await this.#write(() => batch.filter((id) => this.#jobs.resealSync(id)).length);
    }
    await this.#write(() => {
      this.#meta.putSync(SECRETS_SEALED, 1);
      if (resealed > 0) this.#meta.putSync(COMPACT_PENDING, 1);
    });
    return resealed;
  }

  secretsSealed(): Promise<boolean> {
    return Promise.resolve(this.#meta.get(SECRETS_SEALED) === 1);
  }

  /** Whether rewritten jobs may have left old bytes behind; see lmdb-compaction.ts. */
  compactPending(): boolean {
    return this.#meta.get(COMPACT_PENDING) === 1;
  }

  async close(): Promise<void> {
    await this.#root.close();
  }

  /**
   * Runs `change` in one write transaction and resolves once it is on disk: committed, and
   * flushed, so an answer given after it survives a crash of the process or of the machine.
   */
  async #write<T>(change: () => T): Promise<T> {
    const result = await this.#root.transaction(change);
    await this.#root.flushed;
    return result;
  }

  #stateOf(serviceId: string): ServiceState {
    return this.#services.get(serviceId) ?? initialServiceState();
  }

  /** Writes a job and keeps its index entries in step with it. */
  #writeJob(before: JobRecord | undefined, after: JobRecord): void {
    if (before) this.#unindex(before);
    this.#jobs.putSync(after.id, after);
    this.#serviceJobs.putSync([after.serviceId, after.createdAt, after.id], null);
    if (!isFinalStatus(after.status)) this.#active.putSync(activeKey(after), after.serverId);
    else if (after.finishedAt && !after.logsExpired) {
      this.#finished.putSync([after.finishedAt, after.id], null);
    }
  }

  #removeJob(job: JobRecord): void {
    this.#unindex(job);
    this.#serviceJobs.removeSync([job.serviceId, job.createdAt, job.id]);
    this.#jobs.removeSync(job.id);
  }

  #unindex(job: JobRecord): void {
    this.#active.removeSync(activeKey(job));
    if (job.finishedAt) this.#finished.removeSync([job.finishedAt, job.id]);
  }
}
