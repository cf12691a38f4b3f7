import { AgentError } from '../errors.js';
import { type JobContext, type JobOutcome } from '../jobs/job-context.js';
import { findDatabase, takeBackup, type DatabaseJobDeps } from './backup.js';
import { restoreDatabase } from './restore.js';
import { removeLeftoverThrowaways } from './throwaways.js';

/** A backup job: one backup, its outcome in the result whether it succeeded or not. */
export async function runBackupJob(
  ctx: JobContext,
  deps: DatabaseJobDeps | undefined,
): Promise<JobOutcome> {
  const backup = ctx.spec.backup;
  if (!backup) throw new AgentError('BACKUP_FAILED', 'the backup job carries no backup to take');
  if (!deps)
    throw new AgentError('BACKUP_FAILED', 'this agent has no control plane to upload backups to');
  await removeLeftoverThrowaways(ctx);
  const db = await findDatabase(ctx);
  const outcome = await takeBackup(ctx, deps, db, backup);
  if (outcome.status === 'succeeded') {
    return { status: 'succeeded', result: { backups: [outcome] } };
  }
  const error = `Backup #${backup.number} failed: ${outcome.error ?? 'unknown'}`;
  ctx.log('system', error);
  return { status: 'failed', error, result: { backups: [outcome] } };
}

/** A restore job; its result lists the safety backup it took, if any. */
export async function runRestoreJob(
  ctx: JobContext,
  deps: DatabaseJobDeps | undefined,
): Promise<JobOutcome> {
  const restore = ctx.spec.restore;
  if (!restore) throw new AgentError('BACKUP_FAILED', 'the restore job names no backup to restore');
  if (!deps)
    throw new AgentError(
      'BACKUP_FAILED',
      'this agent has no control plane to download backups from',
    );
  await removeLeftoverThrowaways(ctx);
  const { error, backups } = await restoreDatabase(ctx, deps, restore);
  if (error === undefined) return { status: 'succeeded', result: { backups } };
  ctx.log('system', `Restore of backup #${restore.number} failed: ${error}`);
  return { status: 'failed', error, result: { backups } };
}
