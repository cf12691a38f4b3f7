import { execFile } from 'node:child_process';
import { request } from 'node:http';
import { promisify } from 'node:util';
import type { Backup, Service } from '@berth/protocol';
import { runningContainerOf } from './berth-docker.js';
import { api } from './api.js';
import type { Engine } from './engine-images.js';
import { waitFor } from './wait.js';
import type { Stage } from './deploy-helpers.js';

const run = promisify(execFile);

/**
 * A client command inside the database's running container, the way an operator would run one:
 * the password goes through the exec's environment (`docker exec -e NAME`, the value from this
 * process's env), never on a command line.
 */
async function client(
  service: Service,
  command: string[],
  secret: { name: string; value: string },
): Promise<string> {
  const container = await runningContainerOf(service.id);
  const { stdout } = await run('docker', ['exec', '-e', secret.name, container.id, ...command], {
    env: { ...process.env, [secret.name]: secret.value },
    maxBuffer: 16 * 1024 * 1024,
  });
  return stdout.trim();
}

/** Runs SQL (postgres, mariadb) or one redis command, and returns its plain output. */
export function query(engine: Engine, service: Service, statement: string): Promise<string> {
  const env = service.env;
  switch (engine) {
    case 'postgres':
      return client(
        service,
        [
          'psql',
          '-h',
          '127.0.0.1',
          '-U',
          env.POSTGRES_USER!,
          '-d',
          env.POSTGRES_DB!,
          '-v',
          'ON_ERROR_STOP=1',
          '-At',
          '-c',
          statement,
        ],
        { name: 'PGPASSWORD', value: env.POSTGRES_PASSWORD! },
      );
    case 'mariadb':
      return client(
        service,
        [
          'mariadb',
          '-h',
          '127.0.0.1',
          '-uroot',
          '-N',
          '-B',
          '-e',
          statement,
          env.MARIADB_DATABASE!,
        ],
        { name: 'MYSQL_PWD', value: env.MARIADB_ROOT_PASSWORD! },
      );
    case 'redis':
      return client(service, ['redis-cli', '-h', '127.0.0.1', ...statement.split(' ')], {
        name: 'REDISCLI_AUTH',
        value: env.REDIS_PASSWORD!,
      });
  }
}

/** What each engine stores and reads back in the tests: three items, then a change. */
export const DATA: Record<
  Engine,
  { seed: string[]; change: string[]; read: string; seeded: string; changed: string }
> = {
  postgres: {
    seed: [
      'CREATE TABLE items (id int PRIMARY KEY, name text)',
      "INSERT INTO items VALUES (1, 'one'), (2, 'two'), (3, 'three')",
    ],
    change: ['DELETE FROM items WHERE id = 1', "INSERT INTO items VALUES (4, 'four')"],
    read: "SELECT string_agg(name, ',' ORDER BY id) FROM items",
    seeded: 'one,two,three',
    changed: 'two,three,four',
  },
  mariadb: {
    seed: [
      'CREATE TABLE items (id int PRIMARY KEY, name text)',
      "INSERT INTO items VALUES (1, 'one'), (2, 'two'), (3, 'three')",
    ],
    change: ['DELETE FROM items WHERE id = 1', "INSERT INTO items VALUES (4, 'four')"],
    read: 'SELECT GROUP_CONCAT(name ORDER BY id) FROM items',
    seeded: 'one,two,three',
    changed: 'two,three,four',
  },
  redis: {
    seed: ['SET item:1 one', 'SET item:2 two', 'SET item:3 three'],
    change: ['DEL item:1', 'SET item:4 four'],
    read: 'KEYS item:*',
    seeded: 'item:1,item:2,item:3',
    changed: 'item:2,item:3,item:4',
  },
};

/** The engine's items, in a form that compares across engines. */
export async function readItems(engine: Engine, service: Service): Promise<string> {
  const out = await query(engine, service, DATA[engine].read);
  return engine === 'redis' ? out.split('\n').sort().join(',') : out;
}

export async function listBackups(stage: Stage, serviceId: string): Promise<Backup[]> {
  const res = await api<Backup[]>(stage.cp, 'GET', `/api/v1/services/${serviceId}/backups`);
  if (res.status !== 200)
    throw new Error(`list backups: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body;
}

export async function getBackup(stage: Stage, backupId: string): Promise<Backup> {
  const res = await api<Backup>(stage.cp, 'GET', `/api/v1/backups/${backupId}`);
  if (res.status !== 200) throw new Error(`get backup: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body;
}

/** Waits for a backup to end: succeeded, failed or cancelled. */
export function waitForBackup(
  stage: Stage,
  backupId: string,
  timeoutMs = 240_000,
): Promise<Backup> {
  return waitFor(
    `backup ${backupId} to finish`,
    async () => {
      const backup = await getBackup(stage, backupId);
      return ['succeeded', 'failed', 'cancelled'].includes(backup.status) ? backup : null;
    },
    { timeoutMs, intervalMs: 250 },
  );
}

/** A GET on the Docker engine's API through its socket. */
function engineGet(path: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = request({ socketPath: '/var/run/docker.sock', path, method: 'GET' }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => resolve(body));
    });
    req.on('error', reject);
    req.end();
  });
}

/**
 * What Docker kept of every exec run in a container (`GET /exec/:id/json`: its entrypoint and
 * arguments), as JSON text. Docker keeps them until the container is removed.
 */
export async function execRecordsOf(containerId: string): Promise<string[]> {
  const container = JSON.parse(await engineGet(`/containers/${containerId}/json`)) as {
    ExecIDs: string[] | null;
  };
  return Promise.all((container.ExecIDs ?? []).map((id) => engineGet(`/exec/${id}/json`)));
}

/** Removes the data volumes and the environment network the tests' databases left (best effort). */
export async function removeDatabaseArtifacts(
  serviceIds: readonly string[],
  environmentId: string | undefined,
): Promise<void> {
  const ignore = () => undefined;
  for (const id of serviceIds)
    await run('docker', ['volume', 'rm', '-f', `berth-${id}-data`]).catch(ignore);
  if (environmentId)
    await run('docker', ['network', 'rm', `berth-env-${environmentId}`]).catch(ignore);
}
export type { Backup };
