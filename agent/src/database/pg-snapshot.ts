import { AgentError } from '../errors.js';
import { PassThrough } from 'node:stream';
import { LineSplitter } from '../logs/line-splitter.js';

import type { DbTarget } from './db-client.js';
import { POSTGRES_COUNTS_SQL, sqlCommand } from './dump-commands.js';

const END_MARK = 'berth-counts-end';

export interface PgSnapshot {
  /** For `pg_dump --snapshot`: the dump sees exactly the rows the counts saw. */
  id: string;
  counts: Record<string, number>;
}

/**
 * Opens a read-only repeatable-read transaction in a psql session, exports its snapshot and
 * counts the rows in it, then runs `use` while the transaction stays open (a snapshot lives
 * only as long as its transaction), and ends it. Writes going on meanwhile then cannot make
 * the counts and the dump disagree.
 */
export async function withPgSnapshot<T>(
  target: DbTarget,
  use: (snapshot: PgSnapshot) => Promise<T>,
): Promise<T> {
  const base = sqlCommand(target.credentials, 'SELECT 1');
  // The same psql options, without `-c`: the statements come on stdin.
  const cmd = [...base.cmd.slice(0, -2), '-q'];
  const stdin = new PassThrough();
  const stderr: string[] = [];
  const exec = await target.engine.execStream(target.containerId, {
    cmd,
    env: base.env,
    stdin,
    signal: target.signal,
    onStderrLine: (line) => stderr.push(line),
  });
  let id = '';
  const counts: Record<string, number> = {};
  const counted = new Promise<boolean>((resolve) => {
    const lines = new LineSplitter(({ text }) => {
      if (text === END_MARK) return resolve(true);
      const tab = text.lastIndexOf('\t');
      if (tab <= 0) return;
      const value = text.slice(tab + 1);
      if (text.startsWith('snapshot\t')) id = value;
      else counts[text.slice(0, tab)] = Number(value);
    });
    exec.stdout.on('data', (chunk: Buffer) => lines.pushBytes(chunk));
    exec.stdout.on('end', () => {
      lines.end();
      resolve(false);
    });
  });
  stdin.write(
    'BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY;\n' +
      "SELECT 'snapshot', pg_export_snapshot();\n" +
      `${POSTGRES_COUNTS_SQL};\n` +
      `SELECT '${END_MARK}';\n`,
  );
  try {
    if (!(await counted) || !id) {
      stdin.end();
      const code = await exec.exit.catch(() => -1);
      const said = stderr.slice(-3).join(' / ');
      throw new AgentError(
        'BACKUP_FAILED',
        `counting the rows failed: psql exited with status ${code}${said ? `: ${said}` : ''}`,
      );
    }
    return await use({ id, counts });
  } finally {
    if (!stdin.writableEnded) stdin.end('COMMIT;\n');
    await exec.exit.catch(() => undefined);
  }
}
