import { AgentError } from '../errors.js';
import type { Engine } from '../docker/engine.js';
import { throwIfAborted } from '../jobs/job-context.js';
import type { Sleep } from '../time.js';
import {
  MARIADB_TABLES_SQL,
  POSTGRES_COUNTS_SQL,
  mariadbCountsSql,
  readyCommand,
  redisCommand,
  sqlCommand,
  unescapeBatch,
  versionCommand,
  type DbCommand,
  type DbCredentials,
} from './dump-commands.js';

/** Output of a short command; more than this many bytes of stdout is cut off. */
const MAX_OUTPUT_BYTES = 4 * 1024 * 1024;
/** Stderr lines kept for an error message. */
const MAX_STDERR_LINES = 20;

export interface CommandResult {
  code: number;
  stdout: string;
  stderr: string[];
}

/** Where the database runs, and how the agent talks to it. */
export interface DbTarget {
  engine: Engine;
  containerId: string;
  credentials: DbCredentials;
  signal: AbortSignal;
}

/** Runs a short command in the container and gathers its output. */
export async function runCommand(target: DbTarget, command: DbCommand): Promise<CommandResult> {
  const stderr: string[] = [];
  const exec = await target.engine.execStream(target.containerId, {
    cmd: command.cmd,
    env: command.env,
    signal: target.signal,
    onStderrLine: (line) => {
      if (stderr.length < MAX_STDERR_LINES) stderr.push(line);
    },
  });
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of exec.stdout as AsyncIterable<Buffer>) {
    if (size < MAX_OUTPUT_BYTES) chunks.push(chunk);
    size += chunk.length;
  }
  const code = await exec.exit;
  return { code, stdout: Buffer.concat(chunks).toString('utf8'), stderr };
}

/** What a failed command said, for an error message (never its env). */
export function describeFailure(command: DbCommand, result: CommandResult): string {
  const said = result.stderr
    .filter((l) => l.trim() !== '')
    .slice(-3)
    .join(' / ');
  return `${command.cmd[0] ?? 'the command'} exited with status ${result.code}${said ? `: ${said}` : ''}`;
}

/** Runs a short command that must succeed, and returns its stdout. */
export async function mustRun(target: DbTarget, command: DbCommand, what: string): Promise<string> {
  const result = await runCommand(target, command);
  if (result.code !== 0)
    throw new AgentError('BACKUP_FAILED', `${what} failed: ${describeFailure(command, result)}`);
  return result.stdout;
}

/** `key:value` lines of a redis INFO answer. */
export function parseInfo(text: string): Map<string, string> {
  const fields = new Map<string, string>();
  for (const line of text.split(/\r?\n/)) {
    const colon = line.indexOf(':');
    if (colon > 0 && !line.startsWith('#'))
      fields.set(line.slice(0, colon), line.slice(colon + 1).trim());
  }
  return fields;
}

/** The server's version: what the backup is restorable into. */
export async function engineVersion(target: DbTarget): Promise<string> {
  const out = await mustRun(
    target,
    versionCommand(target.credentials),
    'reading the engine version',
  );
  if (target.credentials.engine === 'redis') {
    const version = parseInfo(out).get('redis_version');
    if (!version)
      throw new AgentError(
        'BACKUP_FAILED',
        'reading the engine version failed: INFO server has no redis_version',
      );
    return version;
  }
  return out.trim().split('\n')[0] ?? '';
}

/** Rows per table (`schema.table`) of the app database, or `keys` for redis. */
export async function tableCounts(target: DbTarget): Promise<Record<string, number>> {
  const c = target.credentials;
  const counts: Record<string, number> = {};
  if (c.engine === 'redis') {
    const out = await mustRun(target, redisCommand(c, ['DBSIZE']), 'counting the keys');
    const keys = Number(out.trim());
    if (!Number.isInteger(keys))
      throw new AgentError(
        'BACKUP_FAILED',
        `counting the keys failed: DBSIZE answered "${out.trim()}"`,
      );
    return { keys };
  }
  if (c.engine === 'postgres') {
    const out = await mustRun(target, sqlCommand(c, POSTGRES_COUNTS_SQL), 'counting the rows');
    for (const line of out.split('\n')) {
      const tab = line.lastIndexOf('\t');
      if (tab > 0) counts[line.slice(0, tab)] = Number(line.slice(tab + 1));
    }
    return counts;
  }
  const listed = await mustRun(target, sqlCommand(c, MARIADB_TABLES_SQL), 'listing the tables');
  const tables = listed
    .split('\n')
    .filter((l) => l !== '')
    .map(unescapeBatch);
  if (tables.length === 0) return counts;
  const out = await mustRun(target, sqlCommand(c, mariadbCountsSql(tables)), 'counting the rows');
  for (const line of out.split('\n')) {
    const [index, rows] = line.split('\t');
    const table = tables[Number(index)];
    if (table !== undefined && rows !== undefined)
      counts[`${c.database ?? ''}.${table}`] = Number(rows);
  }
  return counts;
}

/** Waits until the server takes connections; fails if the container stops or time runs out. */
export async function waitReady(
  target: DbTarget,
  options: { timeoutMs: number; sleep: Sleep; now: () => number },
): Promise<void> {
  const started = options.now();
  const command = readyCommand(target.credentials);
  let last = '';
  for (;;) {
    throwIfAborted(target.signal);
    const state = (await target.engine.inspectContainer(target.containerId))?.state;
    if (state !== 'running') {
      throw new AgentError(
        'BACKUP_FAILED',
        `the database container stopped (${state ?? 'gone'}) before it was ready`,
      );
    }
    const result = await runCommand(target, command).catch((err: unknown) => ({
      code: -1,
      stdout: '',
      stderr: [err instanceof Error ? err.message : String(err)],
    }));
    // redis-cli may exit 0 on an error reply (LOADING while it reads its file).
    const ready = target.credentials.engine === 'redis' ? result.stdout.trim() === 'PONG' : true;
    if (result.code === 0 && ready) return;
    last = describeFailure(command, result);
    if (options.now() - started > options.timeoutMs) {
      throw new AgentError(
        'BACKUP_FAILED',
        `the database was not ready in ${options.timeoutMs / 1000} s: ${last}`,
      );
    }
    await options.sleep(500, target.signal);
  }
}
