import { mkdtemp, readdir, readFile, rm, stat, unlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { sealedKeyIdsOf } from '../secrets/record-sealer.js';
import { DB_SECRET_FIELDS } from '../secrets/secret-fields.js';
import {
  filesHolding,
  PLAIN_SECRETS,
  plainJob,
  StoresInDir,
  writePlainDataDir,
} from '../testing/plain-data-dir.js';
import type { Store, StoreOptions } from './store.js';

const SECRETS = Object.values(PLAIN_SECRETS);
let dir: string;
let stores: StoresInDir;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'berth-sealed-'));
  stores = new StoresInDir(dir);
});
afterEach(async () => {
  await stores.closeAll();
  await rm(dir, { recursive: true, force: true });
});

const openIn = (options: StoreOptions = {}): Promise<Store> => stores.open(options);
const close = (store: Store): Promise<void> => stores.close(store);

describe('secrets at rest', () => {
  it('seals the plain secrets of an older data dir, keeping a 0600 copy of db.json first', async () => {
    await writePlainDataDir(dir);
    const notes: string[] = [];
    const warnings: string[] = [];
    const store = await openIn({
      onMigrated: (m) => notes.push(m),
      onWarning: (m) => warnings.push(m),
    });

    // In memory the values are plain, as the API and the queue expect them.
    expect(store.services.config('svc_web')?.env).toEqual({
      API_KEY: PLAIN_SECRETS.apiKey,
      DB_PASSWORD: PLAIN_SECRETS.dbPassword,
      MODE: '',
    });
    expect((await store.history.job('job_1'))?.service.env).toEqual({
      API_KEY: PLAIN_SECRETS.deployedKey,
    });
    await close(store);

    const backups = (await readdir(dir)).filter((n) => n.startsWith('db.json.plain-backup-'));
    expect(backups).toHaveLength(1);
    const backup = join(dir, backups[0]!);
    expect((await stat(backup)).mode & 0o777).toBe(0o600);
    expect(await readFile(backup, 'utf8')).toContain(PLAIN_SECRETS.apiKey);
    expect(notes.join('\n')).toContain(`the file as it was is kept as ${backup}`);
    expect(notes.join('\n')).toContain('sealed the env values of 1 job(s) in the history');
    expect(warnings.join('\n')).toMatch(/plain-backup-.* hold\(s\) secrets in plain text/);

    // Outside the backup, no file of the data dir holds a secret any more.
    await unlink(backup);
    expect(await filesHolding(dir, SECRETS)).toEqual([]);
    const key = await readFile(join(dir, 'secret.key'), 'utf8');
    expect(key).toMatch(/^[0-9a-f]{64}\n$/);
    expect((await stat(join(dir, 'secret.key'))).mode & 0o777).toBe(0o600);

    // A second start reads the sealed values and makes no new copy.
    const again = await openIn();
    expect(again.services.config('svc_web')?.env.API_KEY).toBe(PLAIN_SECRETS.apiKey);
    expect((await again.history.job('job_1'))?.service.env.API_KEY).toBe(PLAIN_SECRETS.deployedKey);
    expect((await readdir(dir)).filter((n) => n.includes('plain-backup'))).toEqual([]);
  });

  it('seals changes made while running, in db.json and in new jobs', async () => {
    const store = await openIn();
    const project = await store.projects.create({ name: 'p' });
    const env = await store.environments.create({
      projectId: project.id,
      name: 'e',
      serverId: 's',
    });
    await store.services.create(env.id, {
      name: 'api',
      source: { type: 'image', image: 'reg.test/api:1' },
      ports: [],
      env: { TOKEN: PLAIN_SECRETS.apiKey },
      healthcheck: { type: 'running', seconds: 1 },
    });
    await store.history.enqueue('svc_x', () => ({ job: plainJob() }));
    await close(store);
    expect(await filesHolding(dir, SECRETS)).toEqual([]);
    const raw = JSON.parse(await readFile(join(dir, 'db.json'), 'utf8')) as unknown;
    expect(sealedKeyIdsOf(raw, DB_SECRET_FIELDS)).toHaveLength(1);
  });

  it('refuses to start under a key that did not seal the data, naming both key ids', async () => {
    await writePlainDataDir(dir);
    await close(await openIn());
    const raw = JSON.parse(await readFile(join(dir, 'db.json'), 'utf8')) as unknown;
    const [sealedUnder] = sealedKeyIdsOf(raw, DB_SECRET_FIELDS);

    const wrong = Buffer.alloc(32, 9);
    await expect(openIn({ secretKey: wrong })).rejects.toThrow(
      new RegExp(
        `db\\.json services\\[0\\]\\.env\\.API_KEY is sealed under key id ${sealedUnder} but the key in BERTH_SECRET_KEY is key id [0-9a-f]{16}; restore the right secret\\.key`,
      ),
    );
  });

  it('refuses to generate a new key when secret.key is gone but db.json holds sealed values', async () => {
    await writePlainDataDir(dir);
    await close(await openIn());
    await unlink(join(dir, 'secret.key'));
    await expect(openIn()).rejects.toThrow(
      /db\.json holds secrets sealed under key id [0-9a-f]{16} but there is no key: .*secret\.key is missing and BERTH_SECRET_KEY is unset; restore secret\.key/,
    );
    expect(await readdir(dir)).not.toContain('secret.key');
  });
});
