import type { Now } from '../clock.js';
import type { AgentSessions } from '../hub/hub.js';
import type { Logger } from '../log.js';
import type { JobUnit } from '../store/history.js';
import type { LogFiles } from '../store/log-files.js';
import { isFinalStatus } from '../store/records.js';
import type { Store } from '../store/store.js';
import type { QueueEvents } from './queue-events.js';

/** What every part of the queue needs. */
export interface QueueDeps {
  store: Store;
  sessions: Pick<AgentSessions, 'isConnected' | 'send'>;
  now: Now;
  log: Logger;
  logs: LogFiles;
  events: QueueEvents;
  /** Jobs one server runs at the same time (different services). */
  maxParallelPerServer: number;
  /** How long a deploy job may run, in milliseconds. */
  deployDeadlineMs: number;
  /** How long a restart or stop may run, in milliseconds. */
  controlDeadlineMs: number;
  /** How long a backup or restore may run, in milliseconds. */
  backupDeadlineMs: number;
  /** How long a queued job may wait for its offline server before it fails, in milliseconds. */
  queueTimeoutMs: number;
  /** How long a running job may be out of contact with its agent before it fails, in milliseconds. */
  lostJobGraceMs: number;
}

/** How long a job of this kind may run once started, in milliseconds. */
export function runTimeOf(deps: QueueDeps, kind: JobUnit['job']['kind']): number {
  switch (kind) {
    case 'deploy':
    case 'expose':
    case 'unexpose':
      return deps.deployDeadlineMs;
    case 'backup':
    case 'restore':
      return deps.backupDeadlineMs;
    case 'restart':
    case 'stop':
      return deps.controlDeadlineMs;
  }
}

/**
 * Runs `change` on a job's records in one store transaction; when it reports a change, tells
 * live views. Resolves to the unit as written, or null when nothing changed.
 */
export async function changeJob(
  deps: Pick<QueueDeps, 'store' | 'events'>,
  jobId: string,
  change: (unit: JobUnit) => boolean,
): Promise<JobUnit | null> {
  let endedNow = false;
  const unit = await deps.store.history.updateJob(jobId, (u) => {
    const wasFinal = isFinalStatus(u.job.status);
    if (!change(u)) return null;
    endedNow = !wasFinal && isFinalStatus(u.job.status);
    return u;
  });
  if (!unit) return null;
  deps.events.emit('job', unit.job, unit.deployment);
  if (endedNow) deps.events.emit('ended', unit.job, unit.deployment);
  return unit;
}
