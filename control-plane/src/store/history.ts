import type {
  BackupRecord,
  DeploymentRecord,
  JobRecord,
  KeptImages,
  ServiceState,
} from './records.js';

/** The records one job touches. A change gets copies; what it leaves in them is written together. */
export interface JobUnit {
  job: JobRecord;
  /** The deployment the job runs; undefined for restarts and stops. */
  deployment: DeploymentRecord | undefined;
  /** The backup the job takes, if it takes one. */
  backup: BackupRecord | undefined;
  service: ServiceState;
}

/** A new job, with its deployment when it deploys. */
export interface NewJob {
  job: JobRecord;
  deployment?: DeploymentRecord;
  /** Numbered `service.lastBackupNumber + 1`; the job's `backupId`. */
  backup?: BackupRecord;
}

export interface HistoryPage {
  limit: number;
  /** Only deployments numbered below this. */
  beforeNumber?: number;
}

/** What retention removed from one service. */
export interface PrunedHistory {
  deployments: number;
  /** Every removed job, so its log file can go too. */
  jobIds: string[];
  /** There is more to remove: call again. */
  more: boolean;
}

/** A legacy (0.1.0) db.json's history, imported once by the migration. */
export interface LegacyHistory {
  deployments: DeploymentRecord[];
  jobs: JobRecord[];
  services: (ServiceState & { serviceId: string })[];
  keptImages: Record<string, KeptImages>;
}

/**
 * Deployments, jobs and the run state of services: the records that are many and change often.
 *
 * Every method is atomic on its own and makes no assumption that this process is the only
 * writer: a change callback reads, decides and writes inside one transaction, so a backend that
 * serves several control planes can run the same calls. Callbacks must be synchronous and must
 * throw, if at all, before they change anything they were given; they may run again on a retry.
 * Records come back as copies that callers may keep and change freely.
 */
export interface HistoryStore {
  /**
   * Adds a job built from the service's state as it is inside the transaction; `build` throws to
   * refuse (for example, a restart before any successful deployment). A deployment's number must
   * be `service.lastDeploymentNumber + 1`.
   */
  enqueue(serviceId: string, build: (service: Readonly<ServiceState>) => NewJob): Promise<NewJob>;

  job(jobId: string): Promise<JobRecord | undefined>;
  deployment(deploymentId: string): Promise<DeploymentRecord | undefined>;
  /** A service's deployments, newest first. */
  deployments(serviceId: string, page: HistoryPage): Promise<DeploymentRecord[]>;
  /** Whether the service has a deployment numbered below `number`. */
  hasDeploymentsBefore(serviceId: string, number: number): Promise<boolean>;
  /** Queued and running jobs, oldest first; only those of one server when it is given. */
  activeJobs(serverId?: string): Promise<JobRecord[]>;

  serviceState(serviceId: string): Promise<ServiceState>;
  serviceStates(serviceIds: readonly string[]): Promise<Map<string, ServiceState>>;
  /**
   * Applies `change` to the job, its deployment and its service in one transaction, and writes
   * them back. Undefined when the job does not exist.
   */
  updateJob<T>(jobId: string, change: (unit: JobUnit) => T): Promise<T | undefined>;
  /**
   * Applies `change` to each service's state, with the set of services that have a running job,
   * in one transaction. Resolves to the ids whose state changed.
   */
  updateServices(
    serviceIds: readonly string[],
    change: (serviceId: string, state: ServiceState, busy: boolean) => void,
  ): Promise<string[]>;

  backup(backupId: string): Promise<BackupRecord | undefined>;
  /** A service's backups, newest first. */
  backups(serviceId: string, page: HistoryPage): Promise<BackupRecord[]>;
  /** Applies `change` to one backup in a transaction; undefined when it does not exist. */
  updateBackup<T>(backupId: string, change: (backup: BackupRecord) => T): Promise<T | undefined>;
  /** Removes a backup's record (retention; its file goes first). */
  removeBackup(backupId: string): Promise<void>;

  keptImages(serverId: string): Promise<KeptImages | undefined>;
  setKeptImages(serverId: string, kept: KeptImages): Promise<void>;

  /**
   * Removes up to `limit` of the service's finished deployments beyond the newest `keep`, with
   * their jobs, then restarts and stops older than the oldest deployment kept. The current
   * release and running deployments are never removed. Small batches keep transactions short.
   */
  pruneService(serviceId: string, keep: number, limit: number): Promise<PrunedHistory>;
  /** Ids of finished jobs that ended before `finishedBefore` and still have their logs, oldest first. */
  jobsWithLogsFinishedBefore(finishedBefore: string, limit: number): Promise<string[]>;
  /** Records that these jobs' logs were deleted. */
  markLogsExpired(jobIds: readonly string[]): Promise<void>;

  /**
   * Seals again every job's secret fields that are plain or sealed under an older key, then
   * marks the store as sealed. Resolves to the number of jobs rewritten.
   */
  resealSecrets(): Promise<number>;
  /** Whether `resealSecrets` has run to its end on this store. */
  secretsSealed(): Promise<boolean>;

  /** Writes a 0.1.0 history; running it twice leaves the same records. */
  importLegacy(history: LegacyHistory): Promise<void>;
  close(): Promise<void>;
}
