import { open, type Database as LmdbDatabase, type RootDatabase } from 'lmdb';
import type { RecordSealer } from '../secrets/record-sealer.js';
import type {
  BackupRecord,
  DeploymentRecord,
  JobRecord,
  KeptImages,
  ServiceState,
} from './records.js';
import { SealedJobTable } from './sealed-job-table.js';

export type Key = (string | number)[];

export const SECRETS_SEALED = 'secretsSealed';

/** Records written per transaction by the migration. */
export const IMPORT_BATCH = 1_000;

/** Jobs queued in the same millisecond keep the order they were queued in. */
export function activeKey(job: JobRecord): Key {
  return [job.createdAt, job.queueOrder ?? 0, job.id];
}

export function* chunks<T>(items: readonly T[], size: number): Generator<readonly T[]> {
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
export interface HistoryTables {
  root: RootDatabase;
  jobs: SealedJobTable;
  deployments: LmdbDatabase<DeploymentRecord, string>;
  history: LmdbDatabase<string, Key>;
  serviceJobs: LmdbDatabase<null, Key>;
  active: LmdbDatabase<string, Key>;
  finished: LmdbDatabase<null, Key>;
  services: LmdbDatabase<ServiceState, string>;
  kept: LmdbDatabase<KeptImages, string>;
  meta: LmdbDatabase<number, string>;
  backups: LmdbDatabase<BackupRecord, string>;
  serviceBackups: LmdbDatabase<string, Key>;
}

/** Opens (or creates) every table of the history in the folder `path`. */
export function openHistoryTables(path: string, sealer?: RecordSealer): HistoryTables {
  const root = open({ path, compression: false });
  const table = <V, K extends Key | string>(name: string) =>
    root.openDB<V, K>({ name, cache: false });
  return {
    root,
    jobs: new SealedJobTable(table('jobs'), sealer, path),
    deployments: table('deployments'),
    history: table('history'),
    serviceJobs: table('serviceJobs'),
    active: table('active'),
    finished: table('finished'),
    services: table('services'),
    kept: table('kept'),
    meta: table('meta'),
    backups: table('backups'),
    serviceBackups: table('serviceBackups'),
  };
}
