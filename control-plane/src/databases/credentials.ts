import {
  ENGINE_PROFILES,
  type DatabaseSource,
  type Env,
  type Connection,
  serviceHostName,
} from '@berth/protocol';
import { randomBytes } from 'node:crypto';

/** The user and database name Berth gives a new database, where the engine has them. */
export const DEFAULT_DATABASE_USER = 'app';
export const DEFAULT_DATABASE_NAME = 'app';

/** 32 random characters from [A-Za-z0-9]: strong, and safe in URLs and config files. */
export function generatePassword(): string {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
  const bytes = randomBytes(64);
  let password = '';
  // 248 is the largest multiple of 62 below 256: no byte value is favoured.
  for (const byte of bytes) {
    if (byte < 248) password += alphabet[byte % 62];
    if (password.length === 32) return password;
  }
  return password + generatePassword().slice(password.length);
}

/**
 * The env a new database service starts with: its credentials under the official image's names.
 * Values the user gave win, so an existing password can be carried over.
 */
export function databaseEnv(source: DatabaseSource, given: Env): Env {
  const names = ENGINE_PROFILES[source.engine].env;
  const generated: Env = { [names.password]: generatePassword() };
  if (names.user) generated[names.user] = DEFAULT_DATABASE_USER;
  if (names.database) generated[names.database] = DEFAULT_DATABASE_NAME;
  if (names.rootPassword) generated[names.rootPassword] = generatePassword();
  return { ...generated, ...given };
}

/**
 * How to reach a database: inside its environment by service name, and from outside through the
 * server's public port while exposed.
 */
export function connectionOf(
  service: { name: string; source: DatabaseSource; env: Env; publicPort?: number | undefined },
  publicHost: string | undefined,
): Connection {
  const profile = ENGINE_PROFILES[service.source.engine];
  const env = service.env;
  const user = profile.env.user ? env[profile.env.user] : undefined;
  const database = profile.env.database ? env[profile.env.database] : undefined;
  const password = env[profile.env.password] ?? '';
  const host = serviceHostName(service.name);
  const url = (hostPort: string) => {
    const auth = `${user ? encodeURIComponent(user) : ''}:${encodeURIComponent(password)}@`;
    return `${profile.scheme}://${auth}${hostPort}${database ? `/${encodeURIComponent(database)}` : ''}`;
  };
  return {
    host,
    port: profile.port,
    ...(user ? { user } : {}),
    ...(database ? { database } : {}),
    password,
    internalUrl: url(`${host}:${profile.port}`),
    ...(service.publicPort && publicHost
      ? { publicUrl: url(`${publicHost}:${service.publicPort}`) }
      : {}),
  };
}
