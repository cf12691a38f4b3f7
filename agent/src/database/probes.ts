import { ENGINE_PROFILES, type DatabaseEngine } from '@berth/protocol';
import type { ExecResult } from '../docker/engine.js';

/** A readiness probe run inside the database container; the secret travels in `env` only. */
export interface DatabaseProbe {
  /** The command as a person reads it in the log (no secret in it). */
  name: string;
  cmd: string[];
  env: Record<string, string>;
  passes(result: ExecResult): boolean;
}

const exitedZero = (result: ExecResult) => result.exitCode === 0;

/** The engine's own "are you up" command, run against 127.0.0.1 so a socket-only init phase fails it. */
export function databaseProbe(engine: DatabaseEngine, env: Record<string, string>): DatabaseProbe {
  const profile = ENGINE_PROFILES[engine];
  const port = String(profile.port);
  switch (engine) {
    case 'postgres': {
      const user = env[profile.env.user!] || 'postgres';
      return {
        name: 'pg_isready',
        cmd: ['pg_isready', '-h', '127.0.0.1', '-p', port, '-U', user],
        env: {},
        passes: exitedZero,
      };
    }
    case 'mariadb':
    case 'mysql': {
      const admin = engine === 'mariadb' ? 'mariadb-admin' : 'mysqladmin';
      const password = env[profile.env.rootPassword!];
      return {
        name: `${admin} ping`,
        cmd: [admin, 'ping', '-h', '127.0.0.1', '-P', port, '-uroot'],
        env: password ? { MYSQL_PWD: password } : {},
        passes: exitedZero,
      };
    }
    case 'redis': {
      const password = env[profile.env.password];
      return {
        name: 'redis-cli ping',
        cmd: ['redis-cli', '-h', '127.0.0.1', '-p', port, 'ping'],
        env: password ? { REDISCLI_AUTH: password } : {},
        // redis-cli exits 0 on NOAUTH and LOADING too: only PONG means ready.
        passes: (result) => result.exitCode === 0 && result.stdout.trim() === 'PONG',
      };
    }
  }
}

/** What a failed probe said, in one line, for the job's log and error. */
export function describeProbeResult(result: ExecResult): string {
  const output = `${result.stdout} ${result.stderr}`.replace(/\s+/g, ' ').trim().slice(0, 300);
  return `exit status ${result.exitCode}${output ? `: ${output}` : ''}`;
}
