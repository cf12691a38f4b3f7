import { cronIntervalMs } from './cron.js';

/**
 * Whether the last verified backup is overdue: older than twice the schedule's interval, which
 * comes from the cron expression's next two runs. Null without a schedule (or one it cannot
 * read). With no verified backup yet nothing is overdue: the page says "none yet" instead.
 */
export function verifiedBackupOverdue(
  schedule: string | null,
  lastVerifiedAt: string | undefined,
  now: number,
): { overdue: boolean; intervalMs: number } | null {
  const intervalMs = schedule ? cronIntervalMs(schedule, now) : null;
  if (intervalMs === null) return null;
  const last = lastVerifiedAt ? Date.parse(lastVerifiedAt) : Number.NaN;
  return { overdue: !Number.isNaN(last) && now - last > 2 * intervalMs, intervalMs };
}
