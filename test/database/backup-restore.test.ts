import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findDatabase, takeBackup } from '../../agent/src/database/backup.js';
import { restoreDatabase } from '../../agent/src/database/restore.js';
import { docker, uniqueId } from '../support/app-fixture.js';
import { DatabaseHarness, type Service } from '../support/database-harness.js';
import { dockerOrSkip } from '../support/docker.js';
import {
  engineImagesOrSkip,
  ensureEngineImages,
  type EngineImages,
} from '../support/engine-images.js';

// The agent's backup, verification and restore, run directly against the real Docker
// engine and the engine test images, with a stand-in for the control plane's two signed
// file endpoints.

const enabled = dockerOrSkip() && engineImagesOrSkip();

let images: EngineImages;
const harness = new DatabaseHarness();
const passwords: string[] = [];

function password(): string {
  const value = `pw-${uniqueId()}-'"$x`;
  passwords.push(value);
  return value;
}

async function backup(service: Service, number: number, verify = true) {
  const spec = { backupId: `bk_${uniqueId()}`, number, verify };
  const ctx = harness.context(service, { kind: 'backup', backup: spec });
  return takeBackup(ctx, harness.deps, await findDatabase(ctx), spec);
}

function storedSha(backupId: string): string {
  return createHash('sha256')
    .update(readFileSync(harness.server.filePath(backupId)))
    .digest('hex');
}

describe.skipIf(!enabled)('database backups, verification and restores (real engine)', () => {
  beforeAll(async () => {
    images = await ensureEngineImages();
    for (const ref of Object.values(images)) await docker(['pull', ref], 600_000);
    await harness.start();
  }, 3_600_000);

  afterAll(async () => {
    await harness.stop();
    // No secret reached a command line or a log line.
    const argv = harness.execs.map((e) => e.cmd.join(' ')).join('\n');
    const logs = harness.lines.join('\n');
    for (const secret of passwords) {
      expect(argv).not.toContain(secret);
      expect(logs).not.toContain(secret);
      expect(JSON.stringify(harness.messages)).not.toContain(secret);
    }
  });

  it('postgres: a verified backup, then a restore after a safety backup', async () => {
    const env = { POSTGRES_USER: 'app', POSTGRES_PASSWORD: password(), POSTGRES_DB: 'appdb' };
    const db = await harness.startService({ engine: 'postgres', image: images.postgres, env });
    await db.sql('CREATE TABLE notes (id int PRIMARY KEY, body text)');
    await db.sql('CREATE TABLE "Odd Name" (x int)');
    await db.sql("INSERT INTO notes SELECT g, 'note ' || g FROM generate_series(1, 500) g");

    const first = await backup(db, 1);
    expect(first.error).toBeUndefined();
    expect(first.status).toBe('succeeded');
    expect(first.verifiedAt).toBeDefined();
    expect(first.counts).toEqual({ 'public.notes': 500, 'public.Odd Name': 0 });
    expect(first.engineVersion).toMatch(/^15\./);
    expect(storedSha(first.backupId)).toBe(first.sha256);
    expect(await harness.throwaways(db.serviceId)).toBe(0);
    expect(
      harness.messages.some((m) => m.type === 'backup.progress' && m.phase === 'verifying'),
    ).toBe(true);

    await db.sql('DELETE FROM notes WHERE id <= 100');
    await db.sql("INSERT INTO notes VALUES (1000, 'after')");
    const spec = {
      backupId: first.backupId,
      number: 1,
      engine: 'postgres',
      sizeBytes: first.sizeBytes ?? 0,
      sha256: first.sha256 ?? '',
      counts: first.counts,
      safetyBackup: { backupId: `bk_${uniqueId()}`, number: 2, verify: false },
    };
    const ctx = harness.context(db, { kind: 'restore', restore: spec });
    const restored = await restoreDatabase(ctx, harness.deps, spec);
    expect(restored.error).toBeUndefined();
    expect(restored.backups[0]?.status).toBe('succeeded');
    expect(restored.backups[0]?.counts).toEqual({ 'public.notes': 401, 'public.Odd Name': 0 });
    expect(await db.sql('SELECT count(*), min(id), max(id) FROM notes')).toBe('500\t1\t500');

    // A restore whose check fails puts the data from before it back.
    await db.sql('DELETE FROM notes WHERE id > 10');
    const wrong = {
      ...spec,
      counts: { 'public.notes': 499 },
      safetyBackup: { backupId: `bk_${uniqueId()}`, number: 3, verify: false },
    };
    const failed = await restoreDatabase(
      harness.context(db, { kind: 'restore', restore: wrong }),
      harness.deps,
      wrong,
    );
    expect(failed.error).toContain('public.notes: 499 in the dump, 500 restored');
    expect(failed.error).toContain('the data from before the restore was put back from backup #3');
    expect(await db.sql('SELECT count(*) FROM notes')).toBe('10');
  });

  it('postgres: a wrong password fails the backup with the reason, and nothing is stored', async () => {
    const env = { POSTGRES_USER: 'app', POSTGRES_PASSWORD: password(), POSTGRES_DB: 'appdb' };
    const db = await harness.startService({ engine: 'postgres', image: images.postgres, env });
    db.spec.env = { ...env, POSTGRES_PASSWORD: password() };
    const outcome = await backup(db, 1);
    expect(outcome.status).toBe('failed');
    expect(outcome.error).toContain('password authentication failed');
    expect(harness.server.stored.some((s) => s.backupId === outcome.backupId)).toBe(false);
  });

  it('postgres: an upload cut off by the network is dumped and sent again', async () => {
    const env = { POSTGRES_USER: 'app', POSTGRES_PASSWORD: password(), POSTGRES_DB: 'appdb' };
    const db = await harness.startService({ engine: 'postgres', image: images.postgres, env });
    await db.sql(
      'CREATE TABLE blobs AS SELECT g AS id, md5(random()::text) || md5(random()::text) AS body FROM generate_series(1, 20000) g',
    );
    const aborted = harness.server.aborted;
    harness.server.dropNextUploads = 1;
    const outcome = await backup(db, 1, false);
    expect(outcome.status).toBe('succeeded');
    expect(outcome.verifySkipped).toBe(true);
    expect(harness.server.aborted).toBe(aborted + 1);
    expect(harness.lines.some((l) => l.startsWith('The upload failed'))).toBe(true);
    expect(storedSha(outcome.backupId)).toBe(outcome.sha256);
  });

  it('mariadb: a verified backup, then a restore', async () => {
    const env = {
      MARIADB_ROOT_PASSWORD: password(),
      MARIADB_DATABASE: 'appdb',
      MARIADB_USER: 'app',
      MARIADB_PASSWORD: password(),
    };
    const db = await harness.startService({ engine: 'mariadb', image: images.mariadb, env });
    await db.sql('CREATE TABLE notes (id INT PRIMARY KEY, body TEXT)');
    await db.sql('CREATE TABLE `odd``name` (x INT)');
    await db.sql("INSERT INTO notes VALUES (1, 'one'), (2, 'two'), (3, 'three')");

    const first = await backup(db, 1);
    expect(first.error).toBeUndefined();
    expect(first.verifiedAt).toBeDefined();
    expect(first.counts).toEqual({ 'appdb.notes': 3, 'appdb.odd`name': 0 });
    expect(storedSha(first.backupId)).toBe(first.sha256);
    expect(await harness.throwaways(db.serviceId)).toBe(0);

    await db.sql('DELETE FROM notes WHERE id = 1');
    const spec = {
      backupId: first.backupId,
      number: 1,
      engine: 'mariadb',
      sizeBytes: first.sizeBytes ?? 0,
      sha256: first.sha256 ?? '',
      counts: first.counts,
      safetyBackup: { backupId: `bk_${uniqueId()}`, number: 2, verify: true },
    };
    const restored = await restoreDatabase(
      harness.context(db, { kind: 'restore', restore: spec }),
      harness.deps,
      spec,
    );
    expect(restored.error).toBeUndefined();
    expect(restored.backups[0]?.verifiedAt).toBeDefined();
    expect(await db.sql('SELECT GROUP_CONCAT(body ORDER BY id) FROM notes')).toBe('one,two,three');
  });

  it('redis: a verified RDB backup, then a restore with a restart', async () => {
    // Plain characters: the config file takes the password as it is.
    const secret = `redis${uniqueId()}`;
    passwords.push(secret);
    const db = await harness.startService({
      engine: 'redis',
      image: images.redis,
      env: { REDIS_PASSWORD: secret },
      containerEnv: {},
      cmd: ['redis-server', '/etc/berth-redis.conf'],
      files: [{ directory: '/etc', name: 'berth-redis.conf', content: `requirepass ${secret}\n` }],
    });
    for (let i = 0; i < 20; i += 1) await db.redis('SET', `key:${i}`, `value ${i}`);

    const first = await backup(db, 1);
    expect(first.error).toBeUndefined();
    expect(first.verifiedAt).toBeDefined();
    expect(first.counts).toEqual({ keys: 20 });
    expect(storedSha(first.backupId)).toBe(first.sha256);
    expect(await harness.throwaways(db.serviceId)).toBe(0);

    await db.redis('DEL', 'key:0');
    await db.redis('SET', 'new', 'later');
    const spec = {
      backupId: first.backupId,
      number: 1,
      engine: 'redis',
      sizeBytes: first.sizeBytes ?? 0,
      sha256: first.sha256 ?? '',
      counts: first.counts,
      safetyBackup: { backupId: `bk_${uniqueId()}`, number: 2, verify: false },
    };
    const restored = await restoreDatabase(
      harness.context(db, { kind: 'restore', restore: spec }),
      harness.deps,
      spec,
    );
    expect(restored.error).toBeUndefined();
    expect(await db.redis('GET', 'key:0')).toBe('value 0');
    expect(await db.redis('EXISTS', 'new')).toBe('0');
  });
});
