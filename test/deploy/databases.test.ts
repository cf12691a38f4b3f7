import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { docker, pushImage, uniqueId } from '../support/app-fixture.js';
import { containersOf, runningContainerOf } from '../support/berth-docker.js';
import {
  createService,
  deployAndWait,
  getService,
  postAction,
  startStage,
  stop,
  stopStage,
  waitForJob,
  type Service,
  type Stage,
} from '../support/deploy-helpers.js';
import { readLog } from '../support/deploy-logs.js';
import { ensureEngineImages, engineImagesOrSkip, type Engine } from '../support/engine-images.js';
import { waitFor } from '../support/wait.js';

const ready = engineImagesOrSkip();

/**
 * Per engine: the app's script, which writes MARK through the database's service name over
 * the environment network (retrying until the database answers) and then idles; the query
 * that reads it back inside the database container; and the env the app needs.
 */
const CLIENTS: Record<
  Engine,
  {
    script: string;
    read: string[];
    readEnv: (db: Service) => Record<string, string>;
    appEnv: (db: Service, host: string) => Record<string, string>;
  }
> = {
  postgres: {
    script: `until psql -h "$DB_HOST" -U "$DB_USER" -d "$DB_NAME" -v ON_ERROR_STOP=1 -c "CREATE TABLE IF NOT EXISTS notes (body text); INSERT INTO notes VALUES ('$MARK')"; do sleep 1; done`,
    read: ['psql', '-h', '127.0.0.1', '-U', 'app', '-d', 'app', '-tAc', 'SELECT body FROM notes'],
    readEnv: (db) => ({ PGPASSWORD: db.connection!.password }),
    appEnv: (db, host) => ({
      DB_HOST: host,
      DB_USER: db.connection!.user!,
      DB_NAME: db.connection!.database!,
      PGPASSWORD: db.connection!.password,
    }),
  },
  mariadb: {
    script: `until mariadb -h "$DB_HOST" -u"$DB_USER" "$DB_NAME" -e "CREATE TABLE IF NOT EXISTS notes (body text); INSERT INTO notes VALUES ('$MARK')"; do sleep 1; done`,
    read: ['mariadb', '-h', '127.0.0.1', '-uapp', 'app', '-N', '-e', 'SELECT body FROM notes'],
    readEnv: (db) => ({ MYSQL_PWD: db.connection!.password }),
    appEnv: (db, host) => ({
      DB_HOST: host,
      DB_USER: db.connection!.user!,
      DB_NAME: db.connection!.database!,
      MYSQL_PWD: db.connection!.password,
    }),
  },
  redis: {
    script: `until [ "$(redis-cli -h "$DB_HOST" SET note "$MARK")" = OK ]; do sleep 1; done`,
    read: ['redis-cli', '-h', '127.0.0.1', 'GET', 'note'],
    readEnv: (db) => ({ REDISCLI_AUTH: db.connection!.password }),
    appEnv: (db, host) => ({ DB_HOST: host, REDISCLI_AUTH: db.connection!.password }),
  },
};

/** Whether something accepts TCP connections on 127.0.0.1:port. */
function answers(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port });
    socket.setTimeout(2_000);
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
    socket.once('timeout', () => {
      socket.destroy();
      resolve(false);
    });
  });
}

/** Sends RESP commands to 127.0.0.1:port and resolves with what came back within a moment. */
function redisTalk(port: number, commands: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port });
    let answer = '';
    socket.on('data', (chunk) => (answer += chunk.toString()));
    socket.once('error', reject);
    socket.once('connect', () => {
      for (const command of commands) {
        const parts = command.split(' ');
        socket.write(
          `*${parts.length}\r\n${parts.map((p) => `$${Buffer.byteLength(p)}\r\n${p}\r\n`).join('')}`,
        );
      }
      setTimeout(() => {
        socket.destroy();
        resolve(answer);
      }, 500);
    });
  });
}

describe.skipIf(!ready)('database services', () => {
  const run = uniqueId();
  let stage: Stage;
  let images: Record<Engine, string>;

  beforeAll(async () => {
    images = await ensureEngineImages();
    stage = await startStage('databases');
  }, 900_000);
  afterAll(() => stopStage(stage));

  async function readBack(engine: Engine, db: Service): Promise<string> {
    const container = await runningContainerOf(db.id);
    const env = Object.entries(CLIENTS[engine].readEnv(db)).flatMap(([k, v]) => [
      '-e',
      `${k}=${v}`,
    ]);
    return docker(['exec', ...env, container.id, ...CLIENTS[engine].read]);
  }

  for (const engine of ['postgres', 'mariadb', 'redis'] as const) {
    it(`${engine}: an app writes over the environment network, data survives a redeploy, expose and unexpose`, async () => {
      const db = await createService(stage, {
        name: `${engine} db`,
        source: { type: 'database', engine, image: images[engine] },
      });
      const first = await deployAndWait(stage, db.id, { timeoutMs: 200_000 });
      const service = await getService(stage, db.id);
      expect(service.connection?.host).toBe(`${engine}-db`);

      // Nothing is published until the database is exposed.
      const [container] = await containersOf(db.id);
      const inspected = JSON.parse(await docker(['inspect', container!.id])) as {
        Config: { Cmd: string[] };
        HostConfig: { PortBindings: Record<string, unknown> | null };
        NetworkSettings: { Networks: Record<string, { Aliases: string[] | null }> };
        Mounts: { Name?: string }[];
      }[];
      const view = inspected[0]!;
      expect(Object.keys(view.HostConfig.PortBindings ?? {})).toEqual([]);
      expect(view.Mounts.map((m) => m.Name)).toContain(`berth-${db.id}-data`);
      const network = view.NetworkSettings.Networks[`berth-env-${stage.environmentId}`];
      expect(network?.Aliases).toContain(`${engine}-db`);
      expect(JSON.stringify(view.Config.Cmd)).not.toContain(service.connection!.password);

      // An app in the same environment writes through the service name.
      const mark = `mark-${engine}-${run}`;
      const app = await pushImage({
        repository: `berth-e2e/db-client-${engine}`,
        tag: run,
        files: {
          Dockerfile: `FROM ${images[engine]}\nCOPY app.sh /app.sh\nENTRYPOINT ["/bin/sh", "/app.sh"]\n`,
          'app.sh': `${CLIENTS[engine].script}\necho written\nexec sleep 86400\n`,
        },
      });
      stage.pulledImages.push(app.image);
      const client = await createService(stage, {
        name: `${engine}-app`,
        source: { type: 'image', image: app.image },
        env: { MARK: mark, ...CLIENTS[engine].appEnv(service, service.connection!.host) },
        healthcheck: { type: 'running', seconds: 1 },
      });
      await deployAndWait(stage, client.id);
      await waitFor(
        `${engine} to hold the app's row`,
        async () =>
          (await readBack(engine, service).catch(() => '')).includes(mark) ? true : null,
        { timeoutMs: 60_000, intervalMs: 500 },
      );

      // A redeploy runs a new container on the same volume: the data is still there.
      const second = await deployAndWait(stage, db.id, { timeoutMs: 200_000 });
      expect(second.number).toBe(first.number + 1);
      expect(await readBack(engine, service)).toContain(mark);
      expect(await containersOf(db.id)).toHaveLength(1);

      // Expose publishes the port; Stop is refused until Unexpose.
      const exposed = await postAction(stage, `/services/${db.id}/expose`, {});
      expect(exposed.status).toBe(202);
      const exposeJob = await waitForJob(stage, exposed.body.job.id, 200_000);
      expect(exposeJob).toMatchObject({ status: 'succeeded' });
      const afterExpose = await getService(stage, db.id);
      expect(afterExpose.exposed).toBe(true);
      const port = afterExpose.publicPort!;
      expect(port).toBeGreaterThanOrEqual(20000);
      expect(port).toBeLessThanOrEqual(29999);
      expect(await answers(port)).toBe(true);
      if (engine === 'redis') {
        // The password from the config file is required, and it works.
        expect(await redisTalk(port, ['PING'])).toMatch(/^-NOAUTH/);
        const password = service.connection!.password;
        expect(await redisTalk(port, [`AUTH ${password}`, 'GET note'])).toBe(
          `+OK\r\n$${mark.length}\r\n${mark}\r\n`,
        );
      }
      expect(await readBack(engine, service)).toContain(mark);

      const refused = await postAction<{ error: { code: string; message: string } }>(
        stage,
        `/services/${db.id}/stop`,
      );
      expect(refused.status).toBe(409);
      expect(refused.body.error.code).toBe('EXPOSED');

      const unexposed = await postAction(stage, `/services/${db.id}/unexpose`);
      expect(unexposed.status).toBe(202);
      expect(await waitForJob(stage, unexposed.body.job.id, 200_000)).toMatchObject({
        status: 'succeeded',
      });
      expect((await getService(stage, db.id)).exposed).toBe(false);
      expect(await answers(port)).toBe(false);
      expect(await readBack(engine, service)).toContain(mark);

      const stopped = await waitForJob(stage, (await stop(stage, db.id)).id);
      expect(stopped.status).toBe('succeeded');
      expect(await containersOf(db.id, { runningOnly: true })).toEqual([]);

      // The password is in no deployment log.
      for (const deployment of [first, second]) {
        const log = await readLog(stage, deployment.id);
        expect(JSON.stringify(log)).not.toContain(service.connection!.password);
      }
    }, 600_000);
  }
});
