import { statfs } from 'node:fs/promises';
import type { BackupOutcome, JobRestoreSpec } from '@berth/protocol';
import { AgentError, describeError } from '../errors.js';
import { throwIfAborted, type JobContext } from '../jobs/job-context.js';
import { STOP_TIMEOUT_SECONDS } from '../jobs/release.js';
import { findDatabase, takeBackup, type Database, type DatabaseJobDeps } from './backup.js';
import { tableCounts, waitReady } from './db-client.js';
import { loadRdbFile, loadThroughClient, type StoredBackup } from './load-backup.js';
import { ProgressReporter } from './progress.js';
import { rdbPath } from './redis-save.js';
import { countMismatches } from './verify.js';

/** How long the service may take to answer again after a redis restart, in ms. */
const RESTART_READY_TIMEOUT_MS = 120_000;

function formatBytes(bytes: number): string {
  const units = ['bytes', 'KB', 'MB', 'GB', 'TB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit += 1;
  }
  return `${unit === 0 ? value : value.toFixed(1)} ${units[unit]}`;
}

/** Free disk on Docker's data root must be at least twice the backup; unknown is not a stop. */
async function checkDisk(ctx: JobContext, db: Database, sizeBytes: number): Promise<void> {
  const root = await db.engine.dataRoot();
  let free: number;
  try {
    if (!root) throw new Error('the engine did not say where its data root is');
    const stats = await statfs(root);
    free = stats.bavail * stats.bsize;
  } catch (err) {
    ctx.log(
      'system',
      `Could not read the free disk of Docker's data root (${describeError(err)}); going on`,
    );
    return;
  }
  if (free < 2 * sizeBytes) {
    throw new AgentError(
      'BACKUP_FAILED',
      `not enough free disk: ${formatBytes(free)} free on ${root ?? '?'}, and a restore of this ` +
        `${formatBytes(sizeBytes)} backup needs twice that; free some space and try again`,
    );
  }
  ctx.log('system', `Free disk on ${root ?? '?'}: ${formatBytes(free)}`);
}

/** Loads a stored backup into the service's own database, replacing its data. */
async function loadInto(
  ctx: JobContext,
  deps: DatabaseJobDeps,
  db: Database,
  backup: StoredBackup & { number: number; counts?: Record<string, number> | undefined },
): Promise<void> {
  const progress = new ProgressReporter({
    jobId: ctx.spec.jobId,
    backupId: backup.backupId,
    send: deps.send,
    now: ctx.now,
  });
  progress.update('restoring', 0);
  ctx.log('system', `Restoring backup #${backup.number} (${formatBytes(backup.sizeBytes)})`);
  if (db.credentials.engine === 'redis') {
    const path = await rdbPath(db);
    const slash = path.lastIndexOf('/');
    ctx.log('system', 'Stopping redis to swap its RDB file');
    await db.engine.stopContainer(db.containerId, STOP_TIMEOUT_SECONDS);
    try {
      await loadRdbFile(deps, db, {
        backup,
        directory: path.slice(0, slash) || '/',
        fileName: path.slice(slash + 1),
        progress,
        phase: 'restoring',
      });
    } finally {
      await db.engine.startContainer(db.containerId);
    }
    await waitReady(db, { timeoutMs: RESTART_READY_TIMEOUT_MS, sleep: ctx.sleep, now: ctx.now });
  } else {
    await loadThroughClient(ctx, deps, db, { backup, clean: true, progress });
  }
  if (backup.counts) {
    const now = await tableCounts(db);
    // A restore drops and loads what the backup holds; tables made since are left as they are.
    const extra = Object.keys(now).filter((name) => !(name in (backup.counts ?? {})));
    if (extra.length > 0) {
      ctx.log(
        'system',
        `Tables the backup does not hold are left as they are: ${extra.join(', ')}`,
      );
    }
    const mismatches = countMismatches(backup.counts, now, { ignoreExtra: true });
    if (mismatches.length > 0) {
      throw new AgentError(
        'BACKUP_FAILED',
        `the restored data does not hold what backup #${backup.number} held: ${mismatches.slice(0, 20).join('; ')}`,
      );
    }
    ctx.log('system', `Checked: the database holds the counts of backup #${backup.number}`);
  }
}

/**
 * Restores a backup into the running service: preflight (running, disk, engine), a safety
 * backup unless it was turned off, the restore and its check. When it fails after the safety
 * backup, the safety backup is put back and the error says so.
 */
export async function restoreDatabase(
  ctx: JobContext,
  deps: DatabaseJobDeps,
  spec: JobRestoreSpec,
): Promise<{ error?: string; backups: BackupOutcome[] }> {
  const db = await findDatabase(ctx);
  if (spec.engine !== db.credentials.engine) {
    throw new AgentError(
      'BACKUP_FAILED',
      `backup #${spec.number} is a ${spec.engine} backup and this service runs ${db.credentials.engine}; restore it into a ${spec.engine} service`,
    );
  }
  await checkDisk(ctx, db, spec.sizeBytes);
  let safety: BackupOutcome | undefined;
  if (spec.safetyBackup) {
    ctx.log(
      'system',
      `Taking safety backup #${spec.safetyBackup.number} of the current data first`,
    );
    safety = await takeBackup(ctx, deps, db, spec.safetyBackup);
    if (safety.status !== 'succeeded') {
      return {
        error: `the safety backup failed, so nothing was restored: ${safety.error ?? 'unknown'}`,
        backups: [safety],
      };
    }
  } else {
    ctx.log('system', 'No safety backup: it was turned off for this restore');
  }
  throwIfAborted(ctx.signal);
  try {
    await loadInto(ctx, deps, db, spec);
    ctx.log('system', `Restored backup #${spec.number}`);
    return { backups: safety ? [safety] : [] };
  } catch (err) {
    const reason =
      err instanceof AgentError || (err instanceof AgentError && err.code === 'CANCELLED')
        ? err.message
        : describeError(err);
    if (!safety || !spec.safetyBackup || !safety.sha256 || safety.sizeBytes === undefined) {
      if ((err instanceof AgentError && err.code === 'CANCELLED') || ctx.signal.aborted) throw err;
      return { error: reason, backups: safety ? [safety] : [] };
    }
    const number = spec.safetyBackup.number;
    ctx.log(
      'system',
      `The restore failed (${reason}); putting back the data from safety backup #${number}`,
    );
    // Put back even after a cancel: the service must not stay half restored.
    const putBack: JobContext = { ...ctx, signal: new AbortController().signal };
    try {
      await loadInto(
        putBack,
        deps,
        { ...db, signal: putBack.signal },
        {
          backupId: safety.backupId,
          number,
          sha256: safety.sha256,
          sizeBytes: safety.sizeBytes,
          counts: safety.counts,
        },
      );
    } catch (again) {
      const why = again instanceof AgentError ? again.message : describeError(again);
      return {
        error: `${reason}; putting back backup #${number} failed too: ${why}`,
        backups: [safety],
      };
    }
    return {
      error: `${reason}; the data from before the restore was put back from backup #${number}`,
      backups: [safety],
    };
  }
}
