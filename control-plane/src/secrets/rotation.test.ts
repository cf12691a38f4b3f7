import { mkdtemp, readdir, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { readSecretKeyFile } from '../store/secret-key-file.js';
import type { Store, StoreOptions } from '../store/store.js';
import {
  filesHolding,
  PLAIN_SECRETS,
  StoresInDir,
  writePlainDataDir,
} from '../testing/plain-data-dir.js';
import { sealedKeyIdsOf } from './record-sealer.js';
import { rotateSecretKey, type Resealable } from './rotation.js';
import { DB_SECRET_FIELDS } from './secret-fields.js';

let dir: string;
let stores: StoresInDir;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'berth-rotate-'));
  stores = new StoresInDir(dir);
  await writePlainDataDir(dir);
});
afterEach(async () => {
  await stores.closeAll();
  await rm(dir, { recursive: true, force: true });
});

const openIn = (options: StoreOptions = {}): Promise<Store> => stores.open(options);
const close = (store: Store): Promise<void> => stores.close(store);

function target(store: Store, reseal = () => store.resealSecrets()): Resealable {
  if (!store.keyring) throw new Error('no keyring');
  return { keyring: store.keyring, resealSecrets: reseal };
}

/** Ids of the keys db.json's values are sealed under. */
async function sealedIds(): Promise<string[]> {
  return sealedKeyIdsOf(JSON.parse(await readFile(join(dir, 'db.json'), 'utf8')), DB_SECRET_FIELDS);
}

/** Ids of the keys in secret.key and secret.key.next. */
async function keyIdsOnDisk(): Promise<string[]> {
  const keys = await Promise.all(
    ['secret.key', 'secret.key.next'].map((name) => readSecretKeyFile(join(dir, name))),
  );
  return keys.flatMap((key) => (key ? [key.id] : []));
}

async function expectSecretsReadable(store: Store): Promise<void> {
  expect(store.services.config('svc_web')?.env.API_KEY).toBe(PLAIN_SECRETS.apiKey);
  expect((await store.history.job('job_1'))?.service.env.API_KEY).toBe(PLAIN_SECRETS.deployedKey);
}

describe('rotating the secret key', () => {
  it('seals everything under a new secret.key and leaves no value under the old one', async () => {
    const store = await openIn();
    const before = store.keyring!.primary.id;
    const result = await rotateSecretKey(target(store));
    expect(result).toMatchObject({ previousKeyId: before, source: 'file' });
    expect(result.keyId).not.toBe(before);
    await expectSecretsReadable(store);
    await close(store);

    expect(await keyIdsOnDisk()).toEqual([result.keyId]);
    expect(await sealedIds()).toEqual([result.keyId]);
    expect((await stat(join(dir, 'secret.key'))).mode & 0o777).toBe(0o600);
    const again = await openIn();
    await expectSecretsReadable(again);
  });

  for (const crash of ['while sealing again', 'after sealing, before secret.key is replaced']) {
    it(`finishes at the next start after a crash ${crash}`, async () => {
      const store = await openIn();
      const before = store.keyring!.primary.id;
      const reseal =
        crash === 'while sealing again'
          ? async () => {
              // db.json is sealed under the new key, the history still under the old one.
              await store.db.mutate(() => undefined);
              throw new Error('power cut');
            }
          : async () => {
              await store.resealSecrets();
              throw new Error('power cut');
            };
      await expect(rotateSecretKey(target(store, reseal))).rejects.toThrow('power cut');
      await close(store);

      // Every value on disk is sealed under a key that is on disk too.
      const onDisk = await keyIdsOnDisk();
      expect(onDisk).toHaveLength(2);
      for (const id of await sealedIds()) expect(onDisk).toContain(id);

      const notes: string[] = [];
      const resumed = await openIn({ onMigrated: (m) => notes.push(m) });
      await expectSecretsReadable(resumed);
      const next = onDisk.find((id) => id !== before)!;
      expect(notes.join('\n')).toContain(
        `finished rotating the secret key: the secrets are sealed under key id ${next}`,
      );
      await close(resumed);
      expect(await keyIdsOnDisk()).toEqual([next]);
      expect(await sealedIds()).toEqual([next]);
    });
  }

  it('with BERTH_SECRET_KEY, keeps the new key in secret.key.next until the variable is changed', async () => {
    const oldKey = Buffer.alloc(32, 1);
    const store = await openIn({ secretKey: oldKey });
    const result = await rotateSecretKey(target(store));
    expect(result.source).toBe('environment');
    expect(result.pendingKeyFile).toBe(join(dir, 'secret.key.next'));
    await expect(rotateSecretKey(target(store))).rejects.toThrow(
      /waiting for BERTH_SECRET_KEY to be set to the key in .*secret\.key\.next/,
    );
    await close(store);
    expect(await readdir(dir)).not.toContain('secret.key');
    expect((await stat(result.pendingKeyFile!)).mode & 0o777).toBe(0o600);
    expect(await sealedIds()).toEqual([result.keyId]);

    // A start with the old key still works, and says what to do.
    const warnings: string[] = [];
    const stale = await openIn({ secretKey: oldKey, onWarning: (m) => warnings.push(m) });
    await expectSecretsReadable(stale);
    expect(warnings.join('\n')).toContain('set BERTH_SECRET_KEY to the contents of');
    await close(stale);

    // With the new key set, the copy on disk goes.
    const current = await openIn({ secretKey: result.key.bytes });
    await expectSecretsReadable(current);
    await close(current);
    expect(await readdir(dir)).not.toContain('secret.key.next');
    for (const name of await readdir(dir)) {
      if (name.startsWith('db.json.plain-backup-')) await rm(join(dir, name));
    }
    expect(await filesHolding(dir, Object.values(PLAIN_SECRETS))).toEqual([]);
  });
});
