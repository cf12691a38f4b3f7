import * as fsp from 'node:fs/promises';
import { mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AtomicJsonFile, type FileSystem } from './atomic-json-file.js';
import { openFileStore } from './store.js';

let dir: string;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'berth-store-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('AtomicJsonFile', () => {
  it('writes JSON with mode 0600 and reads it back', async () => {
    const file = new AtomicJsonFile<{ n: number }>(join(dir, 'db.json'));
    expect(await file.read()).toBeNull();
    await file.write({ n: 1 });
    expect(await file.read()).toEqual({ n: 1 });
    expect((await stat(join(dir, 'db.json'))).mode & 0o777).toBe(0o600);
    expect(await readdir(dir)).toEqual(['db.json']);
  });

  it('keeps the old file whole when a write fails before the rename', async () => {
    const path = join(dir, 'db.json');
    await new AtomicJsonFile<{ n: number }>(path).write({ n: 1 });
    const failingFs: FileSystem = {
      ...fsp,
      rename: () => Promise.reject(Object.assign(new Error('disk gone'), { code: 'EIO' })),
    };
    const file = new AtomicJsonFile<{ n: number }>(path, { fs: failingFs });
    await expect(file.write({ n: 2 })).rejects.toThrow('disk gone');
    expect(JSON.parse(await readFile(path, 'utf8'))).toEqual({ n: 1 });
    expect(await readdir(dir)).toEqual(['db.json']);
  });

  it('refuses a corrupt file with a message naming it', async () => {
    const path = join(dir, 'db.json');
    await writeFile(path, '{"servers": [');
    await expect(new AtomicJsonFile(path).read()).rejects.toThrow(`${path} is not valid JSON`);
    await expect(new AtomicJsonFile(path).read()).rejects.toMatchObject({ code: 'DATA_CORRUPT' });
  });
});

describe('openFileStore crash safety', () => {
  it('ignores and removes a half-written temp file left by a crash', async () => {
    const first = await openFileStore(dir);
    const project = await first.projects.create({ name: 'shop' });
    await first.flush();
    // A crash after writing part of the next temp file, before its rename.
    await writeFile(join(dir, 'db.json.abc123.tmp'), '{"projects": [{"id": "torn"');

    const reopened = await openFileStore(dir);
    expect(reopened.projects.list()).toEqual([project]);
    expect(await readdir(dir)).toEqual(['db.json', 'history', 'secret.key', 'servers.ndjson']);
  });

  it('reloads exactly the records it wrote, and creates the data dir 0700', async () => {
    const dataDir = join(dir, 'nested', 'data');
    const store = await openFileStore(dataDir);
    const project = await store.projects.create({ name: 'shop' });
    const env = await store.environments.create({
      projectId: project.id,
      name: 'prod',
      serverId: 's1',
    });
    await store.flush();
    expect((await stat(dataDir)).mode & 0o777).toBe(0o700);

    const reopened = await openFileStore(dataDir);
    expect(reopened.projects.get(project.id)).toEqual(project);
    expect(reopened.environments.listByProject(project.id)).toEqual([env]);
    expect(await reopened.history.activeJobs()).toEqual([]);
    await Promise.all([store.close(), reopened.close()]);
  });

  it('serializes concurrent writes so the file always holds the latest state', async () => {
    const store = await openFileStore(dir);
    const created = await Promise.all(
      Array.from({ length: 25 }, (_, i) => store.projects.create({ name: `p${i}` })),
    );
    const onDisk = JSON.parse(await readFile(join(dir, 'db.json'), 'utf8')) as {
      projects: unknown[];
    };
    expect(onDisk.projects).toHaveLength(25);
    const reopened = await openFileStore(dir);
    expect(reopened.projects.list().map((p) => p.id)).toEqual(created.map((p) => p.id));
  });

  it('refuses a db.json whose records are not valid, naming the file', async () => {
    await writeFile(join(dir, 'db.json'), JSON.stringify({ servers: [{ id: 1 }] }));
    await expect(openFileStore(dir)).rejects.toThrow(
      /db\.json is neither a 0\.1\.0 nor a current Berth data file \(servers\.0\./,
    );
  });
});
