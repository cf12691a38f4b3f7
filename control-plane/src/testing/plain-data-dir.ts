import { readFile, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { LmdbHistory } from '../store/lmdb-history.js';
import { openFileStore, type Store, type StoreOptions } from '../store/store.js';
import { DATA_VERSION, type JobRecord } from '../store/records.js';

/** Secret values the fixture stores; none of them may appear in a sealed data dir. */
export const PLAIN_SECRETS = {
  apiKey: 'sk-live-4f9c2a71b3e8d605',
  dbPassword: 'correct-horse-battery-staple-93',
  deployedKey: 'sk-live-deployed-0a1b2c3d4e',
} as const;

const CREATED = '2026-01-01T00:00:00.000Z';

/**
 * A data dir as a release before sealing left it: a service's env values in db.json and a
 * deployed job's env values in the history, all plain.
 */
export async function writePlainDataDir(dir: string): Promise<void> {
  await writeFile(
    join(dir, 'db.json'),
    JSON.stringify({
      version: DATA_VERSION,
      projects: [{ id: 'prj_1', name: 'shop', createdAt: CREATED }],
      environments: [
        { id: 'env_1', projectId: 'prj_1', name: 'prod', serverId: 'srv_1', createdAt: CREATED },
      ],
      services: [
        {
          id: 'svc_web',
          environmentId: 'env_1',
          name: 'web',
          source: { type: 'image', image: 'reg.test/app:v1' },
          ports: [],
          env: { API_KEY: PLAIN_SECRETS.apiKey, DB_PASSWORD: PLAIN_SECRETS.dbPassword, MODE: '' },
          healthcheck: { type: 'running', seconds: 3 },
          createdAt: CREATED,
        },
      ],
    }),
    { mode: 0o600 },
  );
  const history = new LmdbHistory(join(dir, 'history'));
  await history.enqueue('svc_web', () => ({ job: plainJob() }));
  await history.close();
}

export function plainJob(): JobRecord {
  return {
    id: 'job_1',
    serviceId: 'svc_web',
    kind: 'deploy',
    status: 'succeeded',
    createdAt: CREATED,
    finishedAt: CREATED,
    serverId: 'srv_1',
    service: {
      id: 'svc_web',
      name: 'web',
      source: { type: 'image', image: 'reg.test/app:v1' },
      ports: [],
      env: { API_KEY: PLAIN_SECRETS.deployedKey },
      healthcheck: { type: 'running', seconds: 3 },
    },
    deadlineAt: CREATED,
  };
}

/** Every file under `dir` whose bytes contain one of `values`, as `path: value`. */
export async function filesHolding(dir: string, values: readonly string[]): Promise<string[]> {
  const found: string[] = [];
  for (const entry of await readdir(dir, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile()) continue;
    const path = join(entry.parentPath, entry.name);
    const bytes = await readFile(path);
    for (const value of values) if (bytes.includes(value)) found.push(`${path}: ${value}`);
  }
  return found;
}

/** Opens stores on one data dir and closes what a test left open. */
export class StoresInDir {
  readonly dir: string;
  #open: Store[] = [];

  constructor(dir: string) {
    this.dir = dir;
  }

  async open(options: StoreOptions = {}): Promise<Store> {
    const store = await openFileStore(this.dir, options);
    this.#open.push(store);
    return store;
  }

  async close(store: Store): Promise<void> {
    await store.close();
    this.#open = this.#open.filter((s) => s !== store);
  }

  async closeAll(): Promise<void> {
    for (const store of this.#open) await store.close().catch(() => undefined);
    this.#open = [];
  }
}
