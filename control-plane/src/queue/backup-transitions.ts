import type { BackupOutcome } from '@berth/protocol';
import { isFinalStatus, type BackupRecord } from '../store/records.js';
import type { JobEnd } from './job-transitions.js';

// How a backup moves with the job that takes it. A backup succeeds only when the file stored
// here is exactly what the agent read from the dump, and, when asked, it restored in a
// throwaway container.

export function startBackup(backup: BackupRecord, startedAt: string): void {
  if (backup.status !== 'queued') return;
  backup.status = 'running';
  backup.startedAt = startedAt;
}

/** Why the outcome does not make a good backup, or null when it does. */
function problemWith(backup: BackupRecord, outcome: BackupOutcome): string | null {
  if (outcome.status === 'failed') return outcome.error ?? 'The backup failed';
  const { stored } = backup;
  if (!stored) return 'No file was stored for it';
  if (stored.sha256 !== outcome.sha256 || stored.sizeBytes !== outcome.sizeBytes) {
    return `The stored file (sha256 ${stored.sha256}, ${stored.sizeBytes} bytes) is not what the agent read from the dump (sha256 ${outcome.sha256 ?? '?'}, ${outcome.sizeBytes ?? '?'} bytes)`;
  }
  if (backup.verify && !outcome.verifiedAt) return 'It was not verified';
  return null;
}

/**
 * Ends the backup with its job. Returns the reason it failed when the job itself claimed
 * success, so the job fails too.
 */
export function endBackup(backup: BackupRecord, end: JobEnd, finishedAt: string): string | null {
  if (isFinalStatus(backup.status)) return null;
  delete backup.progress;
  backup.finishedAt = finishedAt;
  if (backup.startedAt) backup.durationMs = Date.parse(finishedAt) - Date.parse(backup.startedAt);
  const outcome = end.result?.backups?.find((b) => b.backupId === backup.id);
  if (!outcome) {
    backup.status = end.status === 'cancelled' ? 'cancelled' : 'failed';
    backup.error = end.error ?? 'The job ended before the backup was taken';
    return end.status === 'succeeded' ? backup.error : null;
  }
  if (outcome.durationMs !== undefined) backup.durationMs = outcome.durationMs;
  if (outcome.engineVersion) backup.engineVersion = outcome.engineVersion;
  if (outcome.counts) backup.counts = outcome.counts;
  const problem = problemWith(backup, outcome);
  if (problem) {
    backup.status = end.status === 'cancelled' ? 'cancelled' : 'failed';
    backup.error = problem;
    return end.status === 'succeeded' ? problem : null;
  }
  backup.status = 'succeeded';
  backup.sha256 = backup.stored!.sha256;
  backup.sizeBytes = backup.stored!.sizeBytes;
  if (outcome.verifiedAt) backup.verifiedAt = outcome.verifiedAt;
  if (outcome.verifySkipped) backup.verifySkipped = true;
  return null;
}
