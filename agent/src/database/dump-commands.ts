import { AgentError } from '../errors.js';
import { ENGINE_PROFILES, type DatabaseEngine } from '@berth/protocol';

/** A command run inside the database container: argv without secrets, and its env. */
export interface DbCommand {
  cmd: string[];
  env: Record<string, string>;
}

/** What the agent connects with, read from the service's env (the official images' names). */
export interface DbCredentials {
  engine: DatabaseEngine;
  /** The user the client connects as (`root` for MariaDB and MySQL). */
  user: string;
  password: string | undefined;
  /** The application database (absent for redis). */
  database: string | undefined;
}

const LOOPBACK = '127.0.0.1';

export function credentialsFor(engine: DatabaseEngine, env: Record<string, string>): DbCredentials {
  const profile = ENGINE_PROFILES[engine];
  const need = (name: string | undefined): string => {
    const value = name ? env[name] : undefined;
    if (!value) {
      throw new AgentError(
        'BACKUP_FAILED',
        `the service has no ${name ?? 'password'} in its env; set it on the service and redeploy`,
      );
    }
    return value;
  };
  switch (engine) {
    case 'postgres': {
      const user = env[profile.env.user ?? ''] || 'postgres';
      return {
        engine,
        user,
        password: need(profile.env.password),
        database: env[profile.env.database ?? ''] || user,
      };
    }
    case 'mariadb':
    case 'mysql': {
      // MariaDB's image also reads the MYSQL_ names.
      const rootName =
        engine === 'mariadb' && !env.MARIADB_ROOT_PASSWORD && env.MYSQL_ROOT_PASSWORD
          ? 'MYSQL_ROOT_PASSWORD'
          : profile.env.rootPassword;
      const databaseName =
        engine === 'mariadb' && !env.MARIADB_DATABASE && env.MYSQL_DATABASE
          ? 'MYSQL_DATABASE'
          : profile.env.database;
      return { engine, user: 'root', password: need(rootName), database: need(databaseName) };
    }
    case 'redis':
      return {
        engine,
        user: 'default',
        password: env[profile.env.password] || undefined,
        database: undefined,
      };
  }
}

function mariadbClient(c: DbCredentials): string {
  return c.engine === 'mysql' ? 'mysql' : 'mariadb';
}

function pgEnv(c: DbCredentials): Record<string, string> {
  return c.password ? { PGPASSWORD: c.password } : {};
}

function mysqlEnv(c: DbCredentials): Record<string, string> {
  return c.password ? { MYSQL_PWD: c.password } : {};
}

export function redisCommand(c: DbCredentials, args: string[]): DbCommand {
  return { cmd: ['redis-cli', ...args], env: c.password ? { REDISCLI_AUTH: c.password } : {} };
}

/** One SQL statement whose rows come back tab-separated, one per line, without headers. */
export function sqlCommand(c: DbCredentials, sql: string): DbCommand {
  if (c.engine === 'postgres') {
    return {
      cmd: [
        'psql',
        '-X',
        '-h',
        LOOPBACK,
        '-U',
        c.user,
        '-d',
        c.database ?? c.user,
        '-v',
        'ON_ERROR_STOP=1',
        '-At',
        '-F',
        '\t',
        '-c',
        sql,
      ],
      env: pgEnv(c),
    };
  }
  const args = [mariadbClient(c), '-h', LOOPBACK, '-uroot', '-N', '-B'];
  return { cmd: [...args, ...(c.database ? ['-D', c.database] : []), '-e', sql], env: mysqlEnv(c) };
}

export function versionCommand(c: DbCredentials): DbCommand {
  switch (c.engine) {
    case 'postgres':
      return sqlCommand(c, 'SHOW server_version');
    case 'mariadb':
    case 'mysql':
      return sqlCommand(c, 'SELECT VERSION()');
    case 'redis':
      return redisCommand(c, ['INFO', 'server']);
  }
}

/** Exact rows of every table of the app database, in one statement, as `schema.table<TAB>n`. */
export const POSTGRES_COUNTS_SQL = [
  "SELECT format('%s.%s', table_schema, table_name),",
  "(xpath('/row/c/text()', query_to_xml(format('SELECT count(*) AS c FROM %I.%I',",
  "table_schema, table_name), false, true, '')))[1]::text",
  'FROM information_schema.tables',
  "WHERE table_type = 'BASE TABLE' AND table_schema NOT IN ('pg_catalog', 'information_schema')",
  'ORDER BY 1',
].join(' ');

export const MARIADB_TABLES_SQL =
  'SELECT table_name FROM information_schema.tables ' +
  "WHERE table_schema = DATABASE() AND table_type = 'BASE TABLE' ORDER BY table_name";

/** One UNION ALL of COUNT(*) per table, each row led by the table's position in `tables`. */
export function mariadbCountsSql(tables: string[]): string {
  return tables
    .map((t, i) => `SELECT ${i}, COUNT(*) FROM \`${t.replaceAll('`', '``')}\``)
    .join(' UNION ALL ');
}

/** Undoes the batch mode's escaping of a value (`\t`, `\n`, `\\`, `\0`). */
export function unescapeBatch(value: string): string {
  return value.replace(/\\([tn0\\])/g, (_m, ch: string) =>
    ch === 't' ? '\t' : ch === 'n' ? '\n' : ch === '0' ? '\0' : '\\',
  );
}

/** The dump, written to stdout. Its exit status decides whether the backup is good. */
export function dumpCommand(
  c: DbCredentials,
  options: { rdbPath?: string; snapshot?: string } = {},
): DbCommand {
  switch (c.engine) {
    case 'postgres':
      return {
        cmd: [
          'pg_dump',
          '-Fc',
          ...(options.snapshot ? [`--snapshot=${options.snapshot}`] : []),
          '-h',
          LOOPBACK,
          '-U',
          c.user,
          '-d',
          c.database ?? c.user,
        ],
        env: pgEnv(c),
      };
    case 'mariadb':
    case 'mysql':
      return {
        cmd: [
          c.engine === 'mysql' ? 'mysqldump' : 'mariadb-dump',
          '--single-transaction',
          '--routines',
          '--events',
          '--add-drop-database',
          '-h',
          LOOPBACK,
          '-uroot',
          '--databases',
          c.database ?? '',
        ],
        env: mysqlEnv(c),
      };
    case 'redis':
      return { cmd: ['cat', options.rdbPath ?? '/data/dump.rdb'], env: {} };
  }
}

/**
 * Loads a dump from stdin. Into the live service (`clean`) a PostgreSQL restore runs as one
 * transaction, so a failure leaves the data as it was.
 */
export function loadCommand(c: DbCredentials, options: { clean: boolean }): DbCommand {
  if (c.engine === 'postgres') {
    const clean = options.clean ? ['--clean', '--if-exists', '--single-transaction'] : [];
    return {
      cmd: [
        'pg_restore',
        ...clean,
        '--no-owner',
        '--exit-on-error',
        '-h',
        LOOPBACK,
        '-U',
        c.user,
        '-d',
        c.database ?? c.user,
      ],
      env: pgEnv(c),
    };
  }
  if (c.engine === 'redis')
    throw new Error('a redis dump is loaded as a file, not through a client');
  return { cmd: [mariadbClient(c), '-h', LOOPBACK, '-uroot'], env: mysqlEnv(c) };
}

/** Succeeds once the server takes connections over TCP as the service's user. */
export function readyCommand(c: DbCredentials): DbCommand {
  switch (c.engine) {
    case 'postgres':
      return sqlCommand(c, 'SELECT 1');
    case 'mariadb':
    case 'mysql':
      return sqlCommand({ ...c, database: undefined }, 'SELECT 1');
    case 'redis':
      return redisCommand(c, ['PING']);
  }
}
