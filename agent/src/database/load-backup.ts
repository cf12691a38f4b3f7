import { AgentError } from '../errors.js';
import { pipeline } from 'node:stream/promises';
import { type JobContext } from '../jobs/job-context.js';
import type { DatabaseJobDeps } from './backup.js';
import { describeFailure, type DbTarget } from './db-client.js';
import { loadCommand } from './dump-commands.js';
import { HashMeter, type ProgressReporter } from './progress.js';

/** Stderr lines of a restore that reach the job log. */
const MAX_LOGGED_STDERR = 50;

export interface StoredBackup {
  backupId: string;
  sha256: string;
  sizeBytes: number;
}

/** Hashes the download as it passes; its end is held back unless it is the stored file. */
function checkedDownload(backup: StoredBackup, onBytes: (bytes: number) => void): HashMeter {
  return new HashMeter(onBytes, (meter) => {
    if (meter.sha256 !== backup.sha256 || meter.bytes !== backup.sizeBytes) {
      return Promise.reject(
        new AgentError(
          'BACKUP_FAILED',
          `the downloaded backup is not the one stored: ${meter.bytes} bytes (sha256 ` +
            `${meter.sha256}), expected ${backup.sizeBytes} bytes (sha256 ${backup.sha256})`,
        ),
      );
    }
    return Promise.resolve();
  });
}

/**
 * Downloads a backup from the control plane and loads it through the engine's client
 * (PostgreSQL, MariaDB, MySQL), streaming: nothing is held whole in memory or on disk.
 */
export async function loadThroughClient(
  ctx: JobContext,
  deps: DatabaseJobDeps,
  target: DbTarget,
  options: { backup: StoredBackup; clean: boolean; progress: ProgressReporter },
): Promise<void> {
  const phase = options.clean ? 'restoring' : 'verifying';
  const download = await deps.files.download(options.backup.backupId, target.signal);
  const meter = checkedDownload(options.backup, (bytes) => options.progress.update(phase, bytes));
  const fed = pipeline(download, meter).catch((err: unknown) => err);
  const command = loadCommand(target.credentials, { clean: options.clean });
  const stderr: string[] = [];
  let code: number;
  try {
    const exec = await target.engine.execStream(target.containerId, {
      cmd: command.cmd,
      env: command.env,
      stdin: meter,
      signal: target.signal,
      onStderrLine: (line) => {
        stderr.push(line);
        if (stderr.length <= MAX_LOGGED_STDERR) ctx.log('system', `${command.cmd[0]}: ${line}`);
      },
    });
    for await (const chunk of exec.stdout) void chunk;
    code = await exec.exit;
  } catch (err) {
    meter.destroy();
    await fed;
    throw err;
  }
  const feedError = await fed;
  if (feedError instanceof AgentError) throw feedError;
  if (feedError !== undefined) {
    throw new AgentError('BACKUP_FAILED', `downloading the backup failed: ${String(feedError)}`);
  }
  if (code !== 0) {
    throw new AgentError(
      'BACKUP_FAILED',
      `loading the backup failed: ${describeFailure(command, { code, stdout: '', stderr })}`,
    );
  }
}

/** Downloads a redis backup into a container's data directory as `fileName`, streaming. */
export async function loadRdbFile(
  deps: DatabaseJobDeps,
  target: DbTarget,
  options: {
    backup: StoredBackup;
    directory: string;
    fileName: string;
    progress: ProgressReporter;
    phase: 'verifying' | 'restoring';
  },
): Promise<void> {
  const download = await deps.files.download(options.backup.backupId, target.signal);
  const meter = checkedDownload(options.backup, (bytes) =>
    options.progress.update(options.phase, bytes),
  );
  const fed = pipeline(download, meter).catch((err: unknown) => err);
  try {
    await target.engine.putFile(target.containerId, options.directory, {
      name: options.fileName,
      sizeBytes: options.backup.sizeBytes,
      mode: 0o644,
      content: meter,
    });
  } catch (err) {
    meter.destroy();
    const feedError = await fed;
    throw feedError instanceof AgentError ? feedError : err;
  }
  const feedError = await fed;
  if (feedError instanceof AgentError) throw feedError;
  if (feedError !== undefined)
    throw new AgentError('BACKUP_FAILED', `downloading the backup failed: ${String(feedError)}`);
}
