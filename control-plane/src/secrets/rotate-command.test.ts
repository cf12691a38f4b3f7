import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadConfig, type Config } from '../config.js';
import type { Logger } from '../log.js';
import { writePidFile } from '../store/pid-file.js';
import { openFileStore } from '../store/store.js';
import { PLAIN_SECRETS, writePlainDataDir } from '../testing/plain-data-dir.js';
import { rotateSecretKeyCommand } from './rotate-command.js';

let dir: string;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'berth-rotate-cli-'));
  await writePlainDataDir(dir);
});
afterEach(() => rm(dir, { recursive: true, force: true }));

function configWith(env: Record<string, string>): Config {
  const loaded = loadConfig({ BERTH_DATA_DIR: dir, ...env });
  if (!loaded.ok) throw new Error(loaded.message);
  return loaded.config;
}

function recorder(): { log: Logger; lines: string[] } {
  const lines: string[] = [];
  const log: Logger = {
    info: (m) => lines.push(m),
    warn: (m) => lines.push(m),
    error: (m) => lines.push(m),
  };
  return { log, lines };
}

describe('rotate-secret-key on the command line', () => {
  it('with BERTH_SECRET_KEY, prints the new key once on stdout and never logs it', async () => {
    const oldKey = 'ab'.repeat(32);
    const { log, lines } = recorder();
    const printed: string[] = [];
    await rotateSecretKeyCommand({
      config: configWith({ BERTH_SECRET_KEY: oldKey }),
      log,
      print: (text) => printed.push(text),
    });
    const newKey = (await readFile(join(dir, 'secret.key.next'), 'utf8')).trim();
    expect(newKey).toMatch(/^[0-9a-f]{64}$/);
    expect(printed).toHaveLength(1);
    expect(printed[0]).toContain('Set BERTH_SECRET_KEY to this new key before the next start');
    expect(printed[0]!.split(newKey)).toHaveLength(2);
    expect(lines.join('\n')).not.toContain(newKey);

    // The printed key opens the data, and that start removes the copy on disk.
    const store = await openFileStore(dir, { secretKey: Buffer.from(newKey, 'hex') });
    expect(store.services.config('svc_web')?.env.API_KEY).toBe(PLAIN_SECRETS.apiKey);
    await store.close();
    await expect(readFile(join(dir, 'secret.key.next'))).rejects.toThrow(/ENOENT/);
  });

  it('with secret.key, says where the new key is and does not print it', async () => {
    const printed: string[] = [];
    await rotateSecretKeyCommand({
      config: configWith({}),
      log: recorder().log,
      print: (text) => printed.push(text),
    });
    const key = (await readFile(join(dir, 'secret.key'), 'utf8')).trim();
    expect(printed.join('')).toContain(`The new key is in ${join(dir, 'secret.key')}`);
    expect(printed.join('')).not.toContain(key);
  });

  it('refuses while a control plane serves the data dir', async () => {
    // Another live process holds the data dir; this one is just a sleeping node.
    const other = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 60000)']);
    try {
      await writeFile(join(dir, 'control-plane.pid'), `${other.pid}\n`);
      await expect(
        rotateSecretKeyCommand({ config: configWith({}), log: recorder().log, print: () => {} }),
      ).rejects.toThrow(`the control plane (pid ${other.pid}) is running on ${dir}; stop it first`);
    } finally {
      other.kill();
    }
    // This process's own record, or one of a process that is gone, does not count.
    const remove = await writePidFile(dir);
    await rotateSecretKeyCommand({ config: configWith({}), log: recorder().log, print: () => {} });
    await remove();
  });
});
