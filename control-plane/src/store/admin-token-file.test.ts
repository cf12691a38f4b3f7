import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { readOrCreateAdminToken } from './admin-token-file.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'berth-token-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('readOrCreateAdminToken', () => {
  it('generates the token once, mode 0600, and reads it back later', async () => {
    const first = await readOrCreateAdminToken(dir, () => 'generated-token');
    expect(first).toEqual({
      token: 'generated-token',
      path: join(dir, 'admin-token'),
      created: true,
    });
    expect((await stat(first.path)).mode & 0o777).toBe(0o600);
    expect(await readFile(first.path, 'utf8')).toBe('generated-token\n');

    const second = await readOrCreateAdminToken(dir, () => 'other');
    expect(second).toEqual({ token: 'generated-token', path: first.path, created: false });
  });

  it('refuses an empty token file and says how to fix it', async () => {
    await writeFile(join(dir, 'admin-token'), '\n');
    await expect(readOrCreateAdminToken(dir, () => 'x')).rejects.toThrow(
      /delete it to have a new one generated/,
    );
    await expect(readOrCreateAdminToken(dir, () => 'x')).rejects.toMatchObject({
      code: 'DATA_CORRUPT',
    });
  });
});
