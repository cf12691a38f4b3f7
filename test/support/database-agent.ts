import { createHash, sign } from 'node:crypto';
import {
  requestSigningPayload,
  type AgentMessageInput,
  type BackupOutcome,
  type JobBackupSpec,
  type JobSpec,
} from '@berth/protocol';
import type { ControlPlane } from './processes.js';
import type { ScriptedOutcome } from './protocol-agent.js';
import type { BareIdentity } from './raw-agent.js';
import { sleep } from './wait.js';

export interface DatabaseJobsOptions {
  /** The bytes each backup "dumps". */
  dump: Buffer;
  /** How long each phase of a backup lasts, in milliseconds, so progress can be seen. */
  phaseMs: number;
}

/**
 * Database jobs for a {@link ProtocolAgent} without Docker: expose reports the port it
 * published, and a backup sends its progress, uploads its bytes the way the agent does (a
 * signed `PUT /agent/v1/backups/:id/file`) and reports them verified. A restore takes its
 * safety backup the same way. Other jobs are left to the agent's timer.
 */
export function databaseJobs(
  cp: Pick<ControlPlane, 'url'>,
  identity: BareIdentity,
  options: DatabaseJobsOptions,
) {
  const takeBackup = async (
    spec: JobSpec,
    backup: JobBackupSpec,
    send: (message: AgentMessageInput) => boolean,
  ): Promise<BackupOutcome> => {
    const started = Date.now();
    const size = options.dump.length;
    const progress = (phase: 'dumping' | 'uploading' | 'verifying', bytes: number) =>
      send({
        type: 'backup.progress',
        jobId: spec.jobId,
        backupId: backup.backupId,
        phase,
        bytes,
        bytesPerSecond: Math.round(bytes / Math.max(0.001, (Date.now() - started) / 1000)),
      });
    await sleep(options.phaseMs);
    progress('dumping', Math.floor(size / 2));
    await sleep(options.phaseMs);
    progress('uploading', size);
    await upload(cp, identity, backup.backupId, options.dump);
    if (backup.verify) {
      progress('verifying', size);
      await sleep(options.phaseMs);
    }
    return {
      backupId: backup.backupId,
      status: 'succeeded',
      sha256: createHash('sha256').update(options.dump).digest('hex'),
      sizeBytes: size,
      durationMs: Date.now() - started,
      engineVersion: 'fake 1.0',
      counts: { 'public.notes': 3 },
      ...(backup.verify ? { verifiedAt: new Date().toISOString() } : { verifySkipped: true }),
    };
  };

  return (
    spec: JobSpec,
    send: (message: AgentMessageInput) => boolean,
  ): Promise<ScriptedOutcome> | null => {
    switch (spec.kind) {
      case 'expose':
        return Promise.resolve({
          status: 'succeeded',
          result: { publicPort: spec.expose?.port ?? 20000 + Math.floor(Math.random() * 10000) },
        });
      case 'backup':
        if (!spec.backup) return null;
        return takeBackup(spec, spec.backup, send).then((outcome) => ({
          status: 'succeeded',
          result: { backups: [outcome] },
        }));
      case 'restore': {
        const safety = spec.restore?.safetyBackup;
        if (!safety) return sleep(options.phaseMs).then(() => ({ status: 'succeeded' }));
        return takeBackup(spec, safety, send).then((outcome) => ({
          status: 'succeeded',
          result: { backups: [outcome] },
        }));
      }
      case 'deploy':
      case 'restart':
      case 'stop':
      case 'unexpose':
        return null;
    }
  };
}

/** Uploads a backup's bytes as the agent does, signed with its enrolled key. */
async function upload(
  cp: Pick<ControlPlane, 'url'>,
  identity: BareIdentity,
  backupId: string,
  bytes: Buffer,
): Promise<void> {
  const path = `/agent/v1/backups/${encodeURIComponent(backupId)}/file`;
  const timeMs = Date.now();
  const payload = requestSigningPayload('PUT', path, identity.agentId, timeMs);
  const signature = sign(null, payload, identity.privateKey).toString('base64');
  const res = await fetch(`${cp.url}${path}`, {
    method: 'PUT',
    headers: {
      authorization: `Berth-Agent ${identity.agentId}:${timeMs}:${signature}`,
      'content-type': 'application/octet-stream',
    },
    body: new Uint8Array(bytes),
  });
  if (!res.ok) throw new Error(`upload of backup ${backupId}: ${res.status} ${await res.text()}`);
}
