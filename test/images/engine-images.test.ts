import { spawn } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { docker, uniqueId } from '../support/app-fixture.js';
import { dockerOrSkip } from '../support/docker.js';
import {
  engineImagesOrSkip,
  ensureEngineImages,
  type EngineImages,
} from '../support/engine-images.js';
import { tempDir } from '../support/processes.js';
import { waitFor } from '../support/wait.js';

// The database engine test images, used the way Berth uses a database service: a
// container with Init, a named volume at the engine's data path, the official image's
// environment variables. Secrets reach `docker run` and `docker exec` through the
// docker CLI's own environment (`-e NAME` without a value), never through argv.

const enabled = dockerOrSkip() && engineImagesOrSkip();
// Two initialisations, a restart and a restore each: generous for a loaded machine.
const ENGINE_TEST_TIMEOUT_MS = 300_000;

interface Run {
  code: number;
  stdout: Buffer;
  stderr: string;
}

/** Runs the docker CLI with extra environment variables and optional stdin. */
function dockerWith(
  args: string[],
  options: { env?: Record<string, string>; input?: Buffer; timeoutMs?: number } = {},
): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn('docker', args, {
      env: { ...process.env, ...options.env },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    const out: Buffer[] = [];
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => out.push(chunk));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`timed out: docker ${args.join(' ')}\n${stderr}`));
    }, options.timeoutMs ?? 60_000);
    child.once('error', reject);
    child.once('exit', (code) => {
      clearTimeout(timer);
      resolve({ code: code ?? -1, stdout: Buffer.concat(out), stderr });
    });
    child.stdin.end(options.input);
  });
}

const createdContainers: string[] = [];
const createdVolumes: string[] = [];

async function volume(prefix: string): Promise<string> {
  const name = `berth-images-test-${prefix}-${uniqueId()}`;
  await docker(['volume', 'create', name]);
  createdVolumes.push(name);
  return name;
}

/** `docker create` (not started) with Init, a named volume and secret-free argv. */
async function create(options: {
  image: string;
  /** A named volume at the data path; without it, the image's anonymous volume. */
  volume?: string;
  dataPath?: string;
  env: Record<string, string>;
  args?: string[];
}): Promise<string> {
  const name = `berth-images-test-${uniqueId()}`;
  const result = await dockerWith(
    [
      'create',
      '--init',
      '--name',
      name,
      ...(options.volume ? ['-v', `${options.volume}:${options.dataPath}`] : []),
      ...Object.keys(options.env).flatMap((key) => ['-e', key]),
      options.image,
      ...(options.args ?? []),
    ],
    { env: options.env },
  );
  if (result.code !== 0) throw new Error(`docker create failed: ${result.stderr}`);
  createdContainers.push(name);
  return name;
}

async function exec(
  container: string,
  command: string[],
  options: { env?: Record<string, string>; input?: Buffer } = {},
): Promise<Run> {
  const env = options.env ?? {};
  return dockerWith(
    [
      'exec',
      ...(options.input ? ['-i'] : []),
      ...Object.keys(env).flatMap((key) => ['-e', key]),
      container,
      ...command,
    ],
    { env, input: options.input },
  );
}

/** Runs a command in the container that must succeed; returns its stdout as text. */
async function ok(
  container: string,
  command: string[],
  options: { env?: Record<string, string>; input?: Buffer } = {},
): Promise<string> {
  const result = await exec(container, command, options);
  if (result.code !== 0) {
    const logs = await docker(['logs', '--tail', '40', container]).catch(() => '');
    throw new Error(
      `${command.join(' ')} exited ${result.code} in ${container}: ${result.stderr}\n--- logs ---\n${logs}`,
    );
  }
  return result.stdout.toString().trim();
}

async function waitReady(container: string, command: string[], env: Record<string, string>) {
  await waitFor(
    `${command[0]} in ${container}`,
    async () => {
      const running = await docker(['inspect', '--format', '{{.State.Running}}', container]);
      if (running !== 'true') {
        const logs = await docker(['logs', container]).catch(() => '');
        throw new Error(`${container} is not running:\n${logs}`);
      }
      return (await exec(container, command, { env })).code === 0;
    },
    { timeoutMs: 90_000, intervalMs: 300 },
  );
}

async function ipOf(container: string): Promise<string> {
  return docker([
    'inspect',
    '--format',
    '{{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}',
    container,
  ]);
}

/** docker logs, stdout and stderr together. */
async function logsOf(container: string): Promise<string> {
  const result = await dockerWith(['logs', container]);
  return result.stdout.toString() + result.stderr;
}

/**
 * Stops the container (Init, its image's stop signal) and starts it again. Exit code 0
 * means the engine shut down on the signal, not on the SIGKILL after the timeout.
 */
async function stopCleanlyAndStart(container: string): Promise<void> {
  await docker(['stop', '--time', '60', container]);
  expect(await docker(['inspect', '--format', '{{.State.ExitCode}}', container])).toBe('0');
  await docker(['start', container]);
}

/** Runs the image without its required password: it must refuse to initialise. */
async function refusesWithoutPassword(image: string, variable: string): Promise<void> {
  const container = await create({ image, env: {} });
  await docker(['start', container]);
  const code = await waitFor(`${container} to exit`, async () => {
    const state = await docker([
      'inspect',
      '--format',
      '{{.State.Running}} {{.State.ExitCode}}',
      container,
    ]);
    return state.startsWith('false') ? state.split(' ')[1] : null;
  });
  expect(code).not.toBe('0');
  expect(await logsOf(container)).toContain(variable);
}

let images: EngineImages;

describe.skipIf(!enabled)('database engine test images', () => {
  beforeAll(async () => {
    images = await ensureEngineImages();
    // Start from what the registry holds, as a worker would.
    for (const ref of Object.values(images)) await docker(['pull', ref], 600_000);
  }, 3_600_000);

  afterAll(async () => {
    for (const name of createdContainers) {
      await docker(['rm', '-f', '-v', name]).catch(() => undefined);
    }
    for (const name of createdVolumes) {
      await docker(['volume', 'rm', '-f', name]).catch(() => undefined);
    }
  });

  it(
    'postgres: initialises once, keeps data across a restart, dumps and restores',
    async () => {
      const env = {
        POSTGRES_PASSWORD: `pw-${uniqueId()}'"$x`,
        POSTGRES_USER: 'app',
        POSTGRES_DB: 'appdb',
      };
      const client = { PGPASSWORD: env.POSTGRES_PASSWORD };
      const psql = (sql: string, host = '127.0.0.1') => [
        'psql',
        '-h',
        host,
        '-U',
        'app',
        '-d',
        'appdb',
        '-v',
        'ON_ERROR_STOP=1',
        '-At',
        '-c',
        sql,
      ];
      const ready = ['pg_isready', '-h', '127.0.0.1', '-U', 'app', '-d', 'appdb'];
      await refusesWithoutPassword(images.postgres, 'POSTGRES_PASSWORD');
      const first = await create({
        image: images.postgres,
        volume: await volume('pg'),
        dataPath: '/var/lib/postgresql/data',
        env,
      });
      await docker(['start', first]);
      await waitReady(first, ready, {});
      await ok(first, psql('CREATE TABLE notes (id int PRIMARY KEY, body text)'), { env: client });
      await ok(first, psql("INSERT INTO notes VALUES (1, 'one'), (2, 'two')"), { env: client });
      expect(await ok(first, psql('SELECT current_user'), { env: client })).toBe('app');
      // Password authentication, not trust, over TCP.
      const wrong = await exec(first, psql('SELECT 1'), { env: { PGPASSWORD: 'wrong' } });
      expect(wrong.code).not.toBe(0);
      expect(wrong.stderr).toContain('password authentication failed');
      expect(
        await ok(first, ['sh', '-c', 'command -v psql pg_dump pg_restore pg_isready']),
      ).toMatch(/\/usr\/lib\/postgresql\/15\/bin\/psql/);

      const dump = (
        await exec(first, ['pg_dump', '-Fc', '-h', '127.0.0.1', '-U', 'app', 'appdb'], {
          env: client,
        })
      ).stdout;
      expect(dump.subarray(0, 5).toString()).toBe('PGDMP');

      await stopCleanlyAndStart(first);
      await waitReady(first, ready, {});
      expect(await ok(first, psql('SELECT body FROM notes ORDER BY id'), { env: client })).toBe(
        'one\ntwo',
      );
      const logs = await logsOf(first);
      expect(logs.match(/PostgreSQL init process complete/g)).toHaveLength(1);

      const fresh = await create({
        image: images.postgres,
        volume: await volume('pg'),
        dataPath: '/var/lib/postgresql/data',
        env,
      });
      await docker(['start', fresh]);
      await waitReady(fresh, ready, {});
      await ok(
        fresh,
        [
          'pg_restore',
          '-h',
          '127.0.0.1',
          '-U',
          'app',
          '-d',
          'appdb',
          '--no-owner',
          '--exit-on-error',
        ],
        { env: client, input: dump },
      );
      expect(await ok(fresh, psql('SELECT body FROM notes ORDER BY id'), { env: client })).toBe(
        'one\ntwo',
      );
      // The server listens on every address: one container reaches the other.
      expect(
        await ok(fresh, psql('SELECT count(*) FROM notes', await ipOf(first)), { env: client }),
      ).toBe('2');
    },
    ENGINE_TEST_TIMEOUT_MS,
  );

  it(
    'mariadb: initialises once, keeps data across a restart, dumps and restores',
    async () => {
      const rootPassword = `root-${uniqueId()}'"\\x`;
      const env = {
        MARIADB_ROOT_PASSWORD: rootPassword,
        MARIADB_USER: 'app',
        MARIADB_PASSWORD: `app-${uniqueId()}`,
        MARIADB_DATABASE: 'appdb',
      };
      const asApp = { MYSQL_PWD: env.MARIADB_PASSWORD };
      const asRoot = { MYSQL_PWD: rootPassword };
      const sql = (user: string, statement: string, host = '127.0.0.1') => [
        'mariadb',
        '-h',
        host,
        '--protocol=tcp',
        '-u',
        user,
        '-N',
        '-B',
        'appdb',
        '-e',
        statement,
      ];
      const ready = ['mariadb-admin', '-h', '127.0.0.1', '--protocol=tcp', '-uroot', 'ping'];
      await refusesWithoutPassword(images.mariadb, 'MARIADB_ROOT_PASSWORD');
      const first = await create({
        image: images.mariadb,
        volume: await volume('mariadb'),
        dataPath: '/var/lib/mysql',
        env,
      });
      await docker(['start', first]);
      await waitReady(first, ready, asRoot);
      await ok(first, sql('app', 'CREATE TABLE notes (id INT PRIMARY KEY, body TEXT)'), {
        env: asApp,
      });
      await ok(first, sql('app', "INSERT INTO notes VALUES (1, 'one'), (2, 'two')"), {
        env: asApp,
      });
      // root works over TCP and over the local socket with the root password.
      expect(await ok(first, sql('root', 'SELECT 1'), { env: asRoot })).toBe('1');
      expect(
        await ok(first, ['mariadb', '-uroot', '-N', '-e', 'SELECT CURRENT_USER()'], {
          env: asRoot,
        }),
      ).toBe('root@localhost');
      const wrong = await exec(first, sql('root', 'SELECT 1'), { env: { MYSQL_PWD: 'wrong' } });
      expect(wrong.code).not.toBe(0);
      await ok(first, ['mysqladmin', '-uroot', 'status'], { env: asRoot });

      const dumpCommand = [
        'mariadb-dump',
        '-h',
        '127.0.0.1',
        '-uroot',
        '--single-transaction',
        '--routines',
        '--events',
        '--databases',
        'appdb',
      ];
      const dump = await exec(first, dumpCommand, { env: asRoot });
      expect(dump.code, dump.stderr).toBe(0);
      expect(dump.stdout.toString()).toContain('INSERT INTO `notes`');
      const viaMysqldump = await exec(first, ['mysqldump', '-uroot', 'appdb'], { env: asRoot });
      expect(viaMysqldump.code, viaMysqldump.stderr).toBe(0);

      await stopCleanlyAndStart(first);
      await waitReady(first, ready, asRoot);
      expect(
        await ok(first, sql('app', 'SELECT body FROM notes ORDER BY id'), { env: asApp }),
      ).toBe('one\ntwo');
      expect((await logsOf(first)).match(/MariaDB init process complete/g)).toHaveLength(1);

      // The MYSQL_* names work too, like the official image.
      const fresh = await create({
        image: images.mariadb,
        volume: await volume('mariadb'),
        dataPath: '/var/lib/mysql',
        env: { MYSQL_ROOT_PASSWORD: rootPassword },
      });
      await docker(['start', fresh]);
      await waitReady(fresh, ready, asRoot);
      await ok(fresh, ['mariadb', '-h', '127.0.0.1', '-uroot'], {
        env: asRoot,
        input: dump.stdout,
      });
      expect(
        await ok(fresh, sql('root', 'SELECT body FROM notes ORDER BY id'), { env: asRoot }),
      ).toBe('one\ntwo');
      expect(
        await ok(fresh, sql('app', 'SELECT count(*) FROM notes', await ipOf(first)), {
          env: asApp,
        }),
      ).toBe('2');
    },
    ENGINE_TEST_TIMEOUT_MS,
  );

  it(
    'redis: runs a caller config, keeps data across a restart, saves and restores',
    async () => {
      const password = `redis-${uniqueId()}`;
      const auth = { REDISCLI_AUTH: password };
      const config = tempDir('redis-config');
      mkdirSync(join(config, 'berth'));
      writeFileSync(join(config, 'berth', 'redis.conf'), `requirepass ${password}\nsave 60 1\n`);

      const first = await create({
        image: images.redis,
        volume: await volume('redis'),
        dataPath: '/data',
        env: {},
        args: ['redis-server', '/etc/berth/redis.conf'],
      });
      await docker(['cp', join(config, 'berth'), `${first}:/etc/`]);
      await docker(['start', first]);
      await waitReady(first, ['redis-cli', 'ping'], auth);
      expect(await ok(first, ['redis-cli', 'ping'], { env: auth })).toBe('PONG');
      expect(await ok(first, ['redis-cli', 'ping'])).toContain('NOAUTH');
      expect(await ok(first, ['redis-cli', 'CONFIG', 'GET', 'protected-mode'], { env: auth })).toBe(
        'protected-mode\nno',
      );
      expect(await ok(first, ['redis-cli', 'SET', 'greeting', 'hello'], { env: auth })).toBe('OK');

      const before = await ok(first, ['redis-cli', 'LASTSAVE'], { env: auth });
      await ok(first, ['redis-cli', 'BGSAVE'], { env: auth });
      await waitFor('the background save', async () => {
        const info = await ok(first, ['redis-cli', 'INFO', 'persistence'], { env: auth });
        const after = await ok(first, ['redis-cli', 'LASTSAVE'], { env: auth });
        return (
          info.includes('rdb_bgsave_in_progress:0') &&
          info.includes('rdb_last_bgsave_status:ok') &&
          (after !== before || info.includes('rdb_changes_since_last_save:0'))
        );
      });
      const check = await ok(first, ['redis-check-rdb', '/data/dump.rdb']);
      expect(check).toContain('RDB looks OK');
      const rdb = (await exec(first, ['cat', '/data/dump.rdb'])).stdout;
      expect(rdb.subarray(0, 5).toString()).toBe('REDIS');

      await stopCleanlyAndStart(first);
      await waitReady(first, ['redis-cli', 'ping'], auth);
      expect(await ok(first, ['redis-cli', 'GET', 'greeting'], { env: auth })).toBe('hello');

      // A fresh volume with the saved file in it, and no config at all (like the official
      // image: protected mode off, no password).
      const restoreDir = tempDir('redis-restore');
      writeFileSync(join(restoreDir, 'dump.rdb'), rdb);
      const fresh = await create({
        image: images.redis,
        volume: await volume('redis'),
        dataPath: '/data',
        env: {},
      });
      await docker(['cp', join(restoreDir, 'dump.rdb'), `${fresh}:/data/dump.rdb`]);
      await docker(['start', fresh]);
      await waitReady(fresh, ['redis-cli', 'ping'], {});
      expect(await ok(fresh, ['redis-cli', 'GET', 'greeting'])).toBe('hello');
      expect(await ok(fresh, ['redis-cli', 'CONFIG', 'GET', 'protected-mode'])).toBe(
        'protected-mode\nno',
      );
      expect(await ok(fresh, ['pwd'])).toBe('/data');
      expect(
        await ok(fresh, ['redis-cli', '-h', await ipOf(first), 'GET', 'greeting'], { env: auth }),
      ).toBe('hello');
    },
    ENGINE_TEST_TIMEOUT_MS,
  );
});
