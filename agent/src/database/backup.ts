import { pipeline } from 'node:stream/promises';
import type {
  AgentMessageInput,
  BackupOutcome,
  DatabaseEngine,
  JobBackupSpec,
} from '@berth/protocol';
import { AgentError, describeError, isRetryable } from '../errors.js';
import { LABELS } from '../docker/engine.js';
import { throwIfAborted, type JobContext } from '../jobs/job-context.js';
import type { BackupTransfer } from './backup-transfer.js';
import { describeFailure, engineVersion, tableCounts, type DbTarget } from './db-client.js';
import { credentialsFor, dumpCommand } from './dump-commands.js';
import { HashMeter, ProgressReporter } from './progress.js';
import { withPgSnapshot } from './pg-snapshot.js';
import { freshRdb, rdbPath } from './redis-save.js';
import { verifyBackup } from './verify.js';

/** Tries of one dump and upload when the network fails; each starts the dump over. */
export const UPLOAD_ATTEMPTS = 3;
const RETRY_BASE_MS = 1_000;
/** Lines of a dump's stderr that reach the job log. */
const MAX_LOGGED_STDERR = 50;

/** What backup and restore jobs need beyond the job context. */
export interface DatabaseJobDeps {
  files: BackupTransfer;
  send: (message: AgentMessageInput) => boolean;
}

/** The service's running database container, and how to talk to it. */
export interface Database extends DbTarget {
  serviceId: string;
  imageId: string;
  /** The env the service runs with: a throwaway container gets the same credentials. */
  env: Record<string, string>;
}

/** The service's running container; fails clearly when there is none. */
export async function findDatabase(ctx: JobContext): Promise<Database> {
  const { service } = ctx.spec;
  if (service.source.type !== 'database') {
    throw new AgentError(
      'BACKUP_FAILED',
      `${service.name} is not a database service; only databases have backups`,
    );
  }
  const engine: DatabaseEngine = service.source.engine;
  const containers = await ctx.engine.listContainers({ [LABELS.service]: service.id });
  const running = containers.find(
    (c) => c.state === 'running' && c.labels[LABELS.throwaway] === undefined,
  );
  if (!running)
    throw new AgentError('BACKUP_FAILED', 'the database is not running; deploy or start it first');
  return {
    engine: ctx.engine,
    containerId: running.id,
    imageId: running.imageId,
    credentials: credentialsFor(engine, service.env),
    signal: ctx.signal,
    serviceId: service.id,
    env: service.env,
  };
}

function summarize(counts: Record<string, number>): string {
  if ('keys' in counts && Object.keys(counts).length === 1) return `${counts.keys} keys`;
  const tables = Object.keys(counts).length;
  const rows = Object.values(counts).reduce((a, b) => a + b, 0);
  return `${tables} table${tables === 1 ? '' : 's'}, ${rows} row${rows === 1 ? '' : 's'}`;
}

interface DumpOptions {
  backupId: string;
  progress: ProgressReporter;
  rdbPath?: string;
  snapshot?: string;
}

type DumpResult = Awaited<ReturnType<typeof dumpAndUpload>>;

/** The dump and its upload, run again from the start when the network breaks the upload. */
async function dumpWithRetries(
  ctx: JobContext,
  deps: DatabaseJobDeps,
  db: Database,
  options: DumpOptions,
): Promise<DumpResult> {
  for (let attempt = 1; ; attempt += 1) {
    throwIfAborted(ctx.signal);
    ctx.log('system', `Dumping and uploading (attempt ${attempt} of ${UPLOAD_ATTEMPTS})`);
    try {
      return await dumpAndUpload(ctx, deps, db, options);
    } catch (err) {
      if (ctx.signal.aborted || !isRetryable(err) || attempt >= UPLOAD_ATTEMPTS) throw err;
      ctx.log('system', `The upload failed (${describeError(err)}); dumping again`);
      await ctx.sleep(RETRY_BASE_MS * 2 ** (attempt - 1), ctx.signal);
    }
  }
}

/** One run of the dump, streamed through the hash into the upload. */
async function dumpAndUpload(
  ctx: JobContext,
  deps: DatabaseJobDeps,
  db: Database,
  options: DumpOptions,
) {
  const command = dumpCommand(db.credentials, options);
  const stderr: string[] = [];
  const exec = await db.engine.execStream(db.containerId, {
    cmd: command.cmd,
    env: command.env,
    signal: ctx.signal,
    onStderrLine: (line) => {
      stderr.push(line);
      if (stderr.length <= MAX_LOGGED_STDERR) ctx.log('system', `${command.cmd[0]}: ${line}`);
    },
  });
  // The upload's end waits for the dump's exit status: a failed dump never ends as a whole file.
  const meter = new HashMeter(
    (bytes) => options.progress.update('uploading', bytes),
    async () => {
      const code = await exec.exit;
      if (code !== 0) {
        throw new AgentError(
          'BACKUP_FAILED',
          `the dump failed: ${describeFailure(command, { code, stdout: '', stderr })}`,
        );
      }
    },
  );
  const piped = pipeline(exec.stdout, meter).catch(() => undefined);
  try {
    const stored = await deps.files.upload(options.backupId, meter, ctx.signal);
    await piped;
    return { stored, sha256: meter.sha256, bytes: meter.bytes };
  } catch (err) {
    // Whatever stopped the upload also stops the dump, so nothing is left blocked.
    meter.destroy();
    await piped;
    throw err;
  }
}

/**
 * Takes one backup: engine version, counts, the dump streamed to the control plane, and
 * (if asked) a test restore. A failure ends as a failed outcome; a cancel is thrown.
 */
export async function takeBackup(
  ctx: JobContext,
  deps: DatabaseJobDeps,
  db: Database,
  backup: JobBackupSpec,
): Promise<BackupOutcome> {
  const started = ctx.now();
  const progress = new ProgressReporter({
    jobId: ctx.spec.jobId,
    backupId: backup.backupId,
    send: deps.send,
    now: ctx.now,
  });
  let engineVersionText: string | undefined;
  let counts: Record<string, number> | undefined;
  try {
    progress.update('dumping', 0);
    engineVersionText = await engineVersion(db);
    ctx.log('system', `Backup #${backup.number}: ${db.credentials.engine} ${engineVersionText}`);
    const dumpOptions: DumpOptions = { backupId: backup.backupId, progress };
    let result: DumpResult;
    if (db.credentials.engine === 'postgres') {
      // Counted and dumped in one snapshot: writes meanwhile cannot make them disagree.
      result = await withPgSnapshot(db, (snapshot) => {
        counts = snapshot.counts;
        ctx.log('system', `Counted ${summarize(counts)} in the snapshot the dump reads`);
        return dumpWithRetries(ctx, deps, db, { ...dumpOptions, snapshot: snapshot.id });
      });
    } else {
      counts = await tableCounts(db);
      ctx.log('system', `Counted ${summarize(counts)} before the dump`);
      if (db.credentials.engine === 'redis') {
        ctx.log('system', 'Asking redis for a fresh RDB file (BGSAVE)');
        await freshRdb(db, { sleep: ctx.sleep, now: ctx.now });
        dumpOptions.rdbPath = await rdbPath(db);
      }
      result = await dumpWithRetries(ctx, deps, db, dumpOptions);
    }
    if (!counts) throw new AgentError('BACKUP_FAILED', 'the rows were not counted');
    const { stored, sha256, bytes } = result;
    progress.update('uploading', bytes, true);
    if (stored.sha256 !== sha256 || stored.sizeBytes !== bytes) {
      throw new AgentError(
        'BACKUP_FAILED',
        `the control plane stored ${stored.sizeBytes} bytes (sha256 ${stored.sha256}), ` +
          `but the dump was ${bytes} bytes (sha256 ${sha256})`,
      );
    }
    ctx.log(
      'system',
      `Uploaded ${bytes} bytes, sha256 ${sha256}; the control plane holds the same`,
    );
    const outcome: BackupOutcome = {
      backupId: backup.backupId,
      status: 'succeeded',
      sha256,
      sizeBytes: bytes,
      engineVersion: engineVersionText,
      counts,
    };
    if (backup.verify) {
      await verifyBackup(ctx, deps, db, { ...backup, sha256, sizeBytes: bytes, counts, progress });
      outcome.verifiedAt = new Date(ctx.now()).toISOString();
    } else {
      ctx.log('system', 'Verification is off for this service: the backup was not test-restored');
      outcome.verifySkipped = true;
    }
    return { ...outcome, durationMs: ctx.now() - started };
  } catch (err) {
    if (ctx.signal.aborted || (err instanceof AgentError && err.code === 'CANCELLED')) throw err;
    const error = err instanceof AgentError ? err.message : describeError(err);
    return {
      backupId: backup.backupId,
      status: 'failed',
      durationMs: ctx.now() - started,
      error: error.slice(0, 4000),
      ...(engineVersionText ? { engineVersion: engineVersionText } : {}),
      ...(counts ? { counts } : {}),
    };
  }
}
