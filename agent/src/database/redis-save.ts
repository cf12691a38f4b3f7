import { AgentError } from '../errors.js';
import { throwIfAborted } from '../jobs/job-context.js';
import type { Sleep } from '../time.js';
import { mustRun, parseInfo, type DbTarget } from './db-client.js';
import { redisCommand } from './dump-commands.js';

/** How long a background save may take before the backup gives up, in ms. */
const SAVE_TIMEOUT_MS = 30 * 60_000;
const POLL_MS = 250;

/** The RDB file redis writes: its `dir` and `dbfilename` settings. */
export async function rdbPath(target: DbTarget): Promise<string> {
  const get = async (name: string, fallback: string) => {
    const out = await mustRun(
      target,
      redisCommand(target.credentials, ['CONFIG', 'GET', name]),
      `reading ${name}`,
    );
    const value = out.split(/\r?\n/)[1]?.trim();
    return value || fallback;
  };
  const dir = await get('dir', '/data');
  const file = await get('dbfilename', 'dump.rdb');
  return `${dir.replace(/\/+$/, '')}/${file}`;
}

/**
 * Makes redis write a fresh RDB file (BGSAVE) and waits until it is written: no save in
 * progress, the last one ok, and a new save counted since (rdb_saves, or LASTSAVE).
 */
export async function freshRdb(
  target: DbTarget,
  options: { sleep: Sleep; now: () => number },
): Promise<void> {
  const c = target.credentials;
  const info = async () =>
    parseInfo(
      await mustRun(target, redisCommand(c, ['INFO', 'persistence']), 'reading INFO persistence'),
    );
  const lastSave = async () =>
    (await mustRun(target, redisCommand(c, ['LASTSAVE']), 'reading LASTSAVE')).trim();
  const waitIdle = async () => {
    const started = options.now();
    for (;;) {
      throwIfAborted(target.signal);
      const fields = await info();
      if (fields.get('rdb_bgsave_in_progress') === '0') return fields;
      if (options.now() - started > SAVE_TIMEOUT_MS) {
        throw new AgentError(
          'BACKUP_FAILED',
          'redis did not finish its background save in 30 minutes',
        );
      }
      await options.sleep(POLL_MS, target.signal);
    }
  };
  // A save already running (redis or a schedule started it) may predate our data: let it end.
  const before = await waitIdle();
  const savesBefore = before.get('rdb_saves');
  const lastBefore = await lastSave();
  const answer = (await mustRun(target, redisCommand(c, ['BGSAVE']), 'BGSAVE')).trim();
  if (!/Background saving started|scheduled/i.test(answer)) {
    throw new AgentError(
      'BACKUP_FAILED',
      `BGSAVE failed: redis answered "${answer.slice(0, 200)}"`,
    );
  }
  const asked = options.now();
  for (;;) {
    const fields = await waitIdle();
    const saved =
      savesBefore !== undefined
        ? fields.get('rdb_saves') !== savesBefore
        : (await lastSave()) !== lastBefore;
    if (saved) {
      if (fields.get('rdb_last_bgsave_status') !== 'ok') {
        throw new AgentError(
          'BACKUP_FAILED',
          'redis could not write its RDB file (rdb_last_bgsave_status is not ok); check the disk of the data volume',
        );
      }
      return;
    }
    if (options.now() - asked > SAVE_TIMEOUT_MS) {
      throw new AgentError(
        'BACKUP_FAILED',
        'redis never started the background save BGSAVE asked for',
      );
    }
    await options.sleep(POLL_MS, target.signal);
  }
}
