import { describeError } from '../errors.js';
import type { Logger } from '../log.js';
import type { JobQueue } from '../queue/job-queue.js';
import type { QueueEvents } from '../queue/queue-events.js';
import type { BackupRecord, JobRecord } from '../store/records.js';
import type { Store } from '../store/store.js';
import { schedule } from '../upkeep/schedule.js';
import type { BackupFiles } from './backup-files.js';

/** How many of a service's backups one retention pass reads. */
const RETENTION_SCAN = 1_000;

export interface BackupUpkeepDeps {
  store: Store;
  files: BackupFiles;
  queue: Pick<JobQueue, 'backup'>;
  events: QueueEvents;
  log: Logger;
}

/**
 * Which of a service's backups (newest first) retention removes: the succeeded ones beyond the
 * newest `keep`, never the newest verified one, and only once the newest backup has succeeded
 * and, where verification is on, been verified.
 */
export function backupsToRemove(
  newestFirst: readonly BackupRecord[],
  keep: number,
): BackupRecord[] {
  const succeeded = newestFirst.filter((b) => b.status === 'succeeded');
  const newest = succeeded[0];
  if (!newest || (newest.verify && !newest.verifiedAt)) return [];
  const lastVerified = succeeded.find((b) => b.verifiedAt);
  return succeeded.slice(keep).filter((b) => b !== lastVerified);
}

/**
 * What happens around backups outside their jobs: a backup that did not succeed loses its file,
 * retention runs after each one that did, and schedules queue backups as cron says.
 */
export class BackupUpkeep {
  readonly #deps: BackupUpkeepDeps;
  readonly #schedules = new Map<string, { expression: string; stop: () => void }>();
  readonly #onEnded = (job: JobRecord) => {
    if (job.backupId) void this.#ended(job.backupId);
  };

  constructor(deps: BackupUpkeepDeps) {
    this.#deps = deps;
  }

  start(): void {
    this.#deps.events.on('ended', this.#onEnded);
    this.sync();
  }

  stop(): void {
    this.#deps.events.off('ended', this.#onEnded);
    for (const { stop } of this.#schedules.values()) stop();
    this.#schedules.clear();
  }

  /** Brings the cron tasks in line with the services' backup schedules; call after a change. */
  sync(): void {
    const wanted = new Map<string, string>();
    for (const service of this.#deps.store.services.all()) {
      if (service.source.type === 'database' && service.backup?.schedule) {
        wanted.set(service.id, service.backup.schedule);
      }
    }
    for (const [serviceId, task] of this.#schedules) {
      if (wanted.get(serviceId) === task.expression) continue;
      task.stop();
      this.#schedules.delete(serviceId);
    }
    for (const [serviceId, expression] of wanted) {
      if (this.#schedules.has(serviceId)) continue;
      const stop = schedule(
        expression,
        () => this.#scheduled(serviceId),
        (err) =>
          this.#deps.log.warn(
            `scheduled backup of service ${serviceId} failed to queue: ${describeError(err)}`,
          ),
      );
      this.#schedules.set(serviceId, { expression, stop });
    }
  }

  async #scheduled(serviceId: string): Promise<void> {
    const { store, queue, log } = this.#deps;
    const state = await store.history.serviceState(serviceId);
    if (!state.currentDeploymentId) return; // nothing to back up before the first deploy
    const [newest] = await store.history.backups(serviceId, { limit: 1 });
    if (newest && (newest.status === 'queued' || newest.status === 'running')) {
      log.info(
        `scheduled backup of service ${serviceId} skipped: backup #${newest.number} is still ${newest.status}`,
      );
      return;
    }
    const { backup } = await queue.backup(serviceId, 'schedule');
    log.info(`scheduled backup #${backup.number} of service ${serviceId} queued`);
  }

  async #ended(backupId: string): Promise<void> {
    const { store, files, events, log } = this.#deps;
    try {
      const backup = await store.history.backup(backupId);
      if (!backup) return;
      events.emit('backup', backup.id);
      if (backup.status !== 'succeeded') {
        // A failed or cancelled backup keeps its record and error, never a file.
        await files.remove(backup);
        return;
      }
      await this.#retain(backup.serviceId);
    } catch (err) {
      log.error(`after backup ${backupId}: ${describeError(err)}`);
    }
  }

  async #retain(serviceId: string): Promise<void> {
    const { store, files, log } = this.#deps;
    const keep = store.services.config(serviceId)?.backup?.keep;
    if (keep === undefined) return;
    const list = await store.history.backups(serviceId, { limit: RETENTION_SCAN });
    for (const old of backupsToRemove(list, keep)) {
      await files.remove(old);
      await store.history.removeBackup(old.id);
      log.info(`retention removed backup #${old.number} of service ${serviceId}`);
    }
  }
}
