import type { AgentMessage } from '@berth/protocol';
import { isoTime } from '../clock.js';
import type { QueueDeps } from './context.js';

type Progress = Extract<AgentMessage, { type: 'backup.progress' }>;

/** Live progress of a backup; a report from another server, or after the end, is ignored. */
export async function onBackupProgress(
  deps: QueueDeps,
  serverId: string,
  message: Progress,
): Promise<void> {
  const changed = await deps.store.history.updateBackup(message.backupId, (backup) => {
    if (backup.serverId !== serverId || backup.jobId !== message.jobId) return false;
    if (backup.status !== 'running' && backup.status !== 'verifying') return false;
    if (message.phase === 'verifying') backup.status = 'verifying';
    backup.progress = {
      phase: message.phase,
      bytes: message.bytes,
      bytesPerSecond: message.bytesPerSecond,
      at: isoTime(deps.now()),
    };
    return true;
  });
  if (changed) deps.events.emit('backup', message.backupId);
}
