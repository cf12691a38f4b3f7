// Plain data and functions, without zod, so the dashboard's script can import them too.

/** The database engines Berth runs. `mysql` shares MariaDB's code path. */
export const DATABASE_ENGINES = ['postgres', 'mariadb', 'mysql', 'redis'] as const;
export type DatabaseEngine = (typeof DATABASE_ENGINES)[number];

/** A database service's source, as `databaseSourceSchema` in database.ts validates it. */
export interface DatabaseSource {
  type: 'database';
  engine: DatabaseEngine;
  version?: string | undefined;
  image?: string | undefined;
}

/** What the control plane and the agent both need to know of an engine. */
export interface EngineProfile {
  /** The official image's name on Docker Hub. */
  officialImage: string;
  defaultVersion: string;
  port: number;
  /** The data directory inside the container; the service's volume is mounted there. */
  dataPath: string;
  /** The scheme of its connection URL. */
  scheme: string;
  /** Env names of the official image (absent where the engine has no such setting). */
  env: { user?: string; password: string; database?: string; rootPassword?: string };
  /** The backup's file format. */
  format: 'pg_dump-custom' | 'sql' | 'rdb';
}

const MARIADB_ENV = {
  user: 'MARIADB_USER',
  password: 'MARIADB_PASSWORD',
  database: 'MARIADB_DATABASE',
  rootPassword: 'MARIADB_ROOT_PASSWORD',
};

export const ENGINE_PROFILES: Record<DatabaseEngine, EngineProfile> = {
  postgres: {
    officialImage: 'postgres',
    defaultVersion: '16',
    port: 5432,
    dataPath: '/var/lib/postgresql/data',
    scheme: 'postgres',
    env: { user: 'POSTGRES_USER', password: 'POSTGRES_PASSWORD', database: 'POSTGRES_DB' },
    format: 'pg_dump-custom',
  },
  mariadb: {
    officialImage: 'mariadb',
    defaultVersion: '11',
    port: 3306,
    dataPath: '/var/lib/mysql',
    scheme: 'mysql',
    env: MARIADB_ENV,
    format: 'sql',
  },
  mysql: {
    officialImage: 'mysql',
    defaultVersion: '8',
    port: 3306,
    dataPath: '/var/lib/mysql',
    scheme: 'mysql',
    env: {
      user: 'MYSQL_USER',
      password: 'MYSQL_PASSWORD',
      database: 'MYSQL_DATABASE',
      rootPassword: 'MYSQL_ROOT_PASSWORD',
    },
    format: 'sql',
  },
  redis: {
    officialImage: 'redis',
    defaultVersion: '7',
    port: 6379,
    dataPath: '/data',
    scheme: 'redis',
    // The official image has no password setting: the agent writes it into a config file.
    env: { password: 'REDIS_PASSWORD' },
    format: 'rdb',
  },
};

/** The image a database source runs: its own `image`, or the official one at its version. */
export function databaseImage(source: DatabaseSource): string {
  const profile = ENGINE_PROFILES[source.engine];
  return source.image ?? `${profile.officialImage}:${source.version ?? profile.defaultVersion}`;
}

/** The named volume that holds a database service's data. */
export function dataVolumeName(serviceId: string): string {
  return `berth-${serviceId}-data`;
}

/** The Docker network the services of one environment share. */
export function environmentNetworkName(environmentId: string): string {
  return `berth-env-${environmentId}`;
}

/**
 * A service's host name on its environment's network (its DNS alias there): the name in
 * lowercase, with anything but letters, digits and '-' turned into '-'.
 */
export function serviceHostName(name: string): string {
  const host = name
    .toLowerCase()
    .replace(/[^a-z0-9-]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 63);
  return host || 'service';
}

/** Publicly exposed database ports are picked from this range when none is asked for. */
export const EXPOSE_PORT_RANGE = { first: 20000, last: 29999 } as const;
