import { isoTime, type Now } from '../clock.js';
import type { Logger } from '../log.js';
import type { LogFiles } from '../store/log-files.js';
import type { Store } from '../store/store.js';

/** Records removed per store call, so one run never holds a long transaction. */
const BATCH = 500;
const DAY_MS = 24 * 3_600_000;

export interface RetentionOptions {
  store: Store;
  logs: LogFiles;
  now: Now;
  log: Logger;
  /** Finished deployments kept per service; undefined keeps them all. */
  historyKeep: number | undefined;
  /** Days a finished job's log is kept; 0 keeps logs forever. */
  logRetentionDays: number;
}

export interface RetentionReport {
  deployments: number;
  jobs: number;
  logFiles: number;
}

/**
 * Drops the oldest finished deployments beyond `historyKeep` per service (with their jobs and
 * logs), then deletes the logs of jobs that finished more than `logRetentionDays` ago; those
 * deployments stay and say their logs expired. Reports what it removed in the log.
 */
export async function applyRetention(options: RetentionOptions): Promise<RetentionReport> {
  const { store, logs } = options;
  const report: RetentionReport = { deployments: 0, jobs: 0, logFiles: 0 };
  if (options.historyKeep !== undefined) {
    for (const serviceId of store.services.ids()) {
      for (;;) {
        const pruned = await store.history.pruneService(serviceId, options.historyKeep, BATCH);
        report.deployments += pruned.deployments;
        report.jobs += pruned.jobIds.length;
        for (const jobId of pruned.jobIds) await logs.remove(jobId);
        if (!pruned.more) break;
      }
    }
  }
  if (options.logRetentionDays > 0) {
    const cutoff = isoTime(options.now() - options.logRetentionDays * DAY_MS);
    for (;;) {
      const jobIds = await store.history.jobsWithLogsFinishedBefore(cutoff, BATCH);
      if (jobIds.length === 0) break;
      for (const jobId of jobIds) await logs.remove(jobId);
      await store.history.markLogsExpired(jobIds);
      report.logFiles += jobIds.length;
    }
  }
  if (report.deployments + report.jobs + report.logFiles > 0) {
    options.log.info(
      `retention: removed ${report.deployments} deployment(s) and ${report.jobs} job(s) beyond BERTH_HISTORY_KEEP, and the logs of ${report.logFiles} job(s) older than ${options.logRetentionDays} day(s)`,
    );
  }
  return report;
}
