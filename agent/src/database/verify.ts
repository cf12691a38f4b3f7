import { AgentError } from '../errors.js';
import { Readable } from 'node:stream';
import { ENGINE_PROFILES, type JobBackupSpec } from '@berth/protocol';
import { LABELS } from '../docker/engine.js';
import { type JobContext } from '../jobs/job-context.js';
import type { Database, DatabaseJobDeps } from './backup.js';
import { describeFailure, runCommand, tableCounts, waitReady, type DbTarget } from './db-client.js';
import { loadRdbFile, loadThroughClient, type StoredBackup } from './load-backup.js';
import type { ProgressReporter } from './progress.js';

/** How long a throwaway database may take to initialise and start, in ms. */
export const THROWAWAY_READY_TIMEOUT_MS = 180_000;

/**
 * A throwaway redis reads only the restored file: no append-only file, and no saves of
 * its own. It lives in the data volume, so no argv and no bind mount carries it.
 */
const REDIS_VERIFY_CONFIG = 'dir /data\ndbfilename dump.rdb\nappendonly no\nsave ""\n';
const REDIS_VERIFY_CONFIG_FILE = 'berth-verify.conf';

/** The tables (or keys) whose count differs, as `name: N in the dump, M restored`. */
export function countMismatches(
  expected: Record<string, number>,
  actual: Record<string, number>,
  options: { ignoreExtra?: boolean } = {},
): string[] {
  const names = [
    ...new Set([...Object.keys(expected), ...(options.ignoreExtra ? [] : Object.keys(actual))]),
  ].sort();
  const out: string[] = [];
  for (const name of names) {
    const want = expected[name];
    const got = actual[name];
    if (want === got) continue;
    if (want === undefined) out.push(`${name}: not in the dump, ${got} restored`);
    else if (got === undefined) out.push(`${name}: ${want} in the dump, missing after the restore`);
    else out.push(`${name}: ${want} in the dump, ${got} restored`);
  }
  return out;
}

/** Only the credentials' env names of the engine go to the throwaway container. */
function credentialEnv(db: Database): Record<string, string> {
  if (db.credentials.engine === 'redis') return {};
  const names = new Set<string>(Object.values(ENGINE_PROFILES[db.credentials.engine].env));
  if (db.credentials.engine === 'mariadb') {
    for (const name of ['MYSQL_ROOT_PASSWORD', 'MYSQL_DATABASE', 'MYSQL_USER', 'MYSQL_PASSWORD'])
      names.add(name);
  }
  return Object.fromEntries(Object.entries(db.env).filter(([k]) => names.has(k)));
}

function throwawayName(backupId: string): string {
  return `berth-verify-${backupId.replace(/[^a-zA-Z0-9_.-]/g, '-')}`.slice(0, 120);
}

/**
 * Restores a stored backup into a throwaway container of the same image (no network, no
 * ports, no volume of the service) and checks it holds what the dump held. The container
 * goes in every case, with its anonymous volumes.
 */
export async function verifyBackup(
  ctx: JobContext,
  deps: DatabaseJobDeps,
  db: Database,
  backup: JobBackupSpec &
    StoredBackup & { counts: Record<string, number>; progress: ProgressReporter },
): Promise<void> {
  const redis = db.credentials.engine === 'redis';
  backup.progress.update('verifying', 0);
  ctx.log('system', `Verifying: restoring backup #${backup.number} into a throwaway container`);
  const containerId = await db.engine.createThrowawayContainer({
    name: throwawayName(backup.backupId),
    image: db.imageId,
    env: credentialEnv(db),
    labels: { [LABELS.throwaway]: backup.backupId, [LABELS.service]: db.serviceId },
    ...(redis ? { cmd: ['redis-server', `/data/${REDIS_VERIFY_CONFIG_FILE}`] } : {}),
  });
  const target: DbTarget = {
    engine: db.engine,
    containerId,
    signal: ctx.signal,
    credentials: redis ? { ...db.credentials, password: undefined } : db.credentials,
  };
  try {
    if (redis) {
      const config = Buffer.from(REDIS_VERIFY_CONFIG);
      await db.engine.putFile(containerId, '/data', {
        name: REDIS_VERIFY_CONFIG_FILE,
        sizeBytes: config.length,
        mode: 0o644,
        content: Readable.from([config]),
      });
      await loadRdbFile(deps, target, {
        backup,
        directory: '/data',
        fileName: 'dump.rdb',
        progress: backup.progress,
        phase: 'verifying',
      });
    }
    await db.engine.startContainer(containerId);
    await waitReady(target, {
      timeoutMs: THROWAWAY_READY_TIMEOUT_MS,
      sleep: ctx.sleep,
      now: ctx.now,
    });
    if (redis) {
      const check = { cmd: ['redis-check-rdb', '/data/dump.rdb'], env: {} };
      const result = await runCommand(target, check);
      if (result.code !== 0) {
        throw new AgentError(
          'BACKUP_FAILED',
          `the backup is not a sound RDB file: ${describeFailure(check, result)}`,
        );
      }
      ctx.log('system', 'redis-check-rdb: the RDB file is sound');
    } else {
      await loadThroughClient(ctx, deps, target, {
        backup,
        clean: false,
        progress: backup.progress,
      });
    }
    const restored = await tableCounts(target);
    const mismatches = countMismatches(backup.counts, restored);
    if (mismatches.length > 0) {
      throw new AgentError(
        'BACKUP_FAILED',
        `the verification found other counts than the dump held: ${mismatches.slice(0, 20).join('; ')}`,
      );
    }
    ctx.log('system', 'Verified: the throwaway copy holds the same counts as the database did');
  } finally {
    await db.engine
      .removeContainer(containerId)
      .catch((err: unknown) =>
        ctx.log(
          'system',
          `Could not remove the throwaway container ${containerId.slice(0, 12)}: ${String(err)}`,
        ),
      );
  }
}
