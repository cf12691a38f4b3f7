import { randomBytes } from 'node:crypto';
import { open, rename, unlink } from 'node:fs/promises';
import { dirname } from 'node:path';
import { BerthError } from '../errors.js';
import { parseSecretKeyText, secretKeyText } from '../secrets/key-text.js';
import { secretKeyOf, type SecretKey } from '../secrets/secret-box.js';
import { readTextIfExists, syncDirectory } from './files.js';

/** The key that seals stored secrets, unless BERTH_SECRET_KEY is set. */
export const SECRET_KEY_FILE = 'secret.key';
/** The key a rotation seals under until it has finished; see secrets/rotation.ts. */
export const NEXT_SECRET_KEY_FILE = 'secret.key.next';

/** The key in `path`, or null when there is no such file. */
export async function readSecretKeyFile(path: string): Promise<SecretKey | null> {
  const text = await readTextIfExists(path);
  if (text === null) return null;
  const bytes = parseSecretKeyText(text);
  if (!bytes) {
    throw new BerthError(
      'DATA_CORRUPT',
      `${path} does not hold a secret key (64 hex characters); restore it from your backup of the data dir`,
    );
  }
  return secretKeyOf(bytes);
}

/** Writes the key to `path` (0600), atomically and durably; an existing file is replaced. */
export async function writeSecretKeyFile(path: string, key: SecretKey): Promise<void> {
  const temp = `${path}.${randomBytes(6).toString('hex')}.tmp`;
  try {
    const handle = await open(temp, 'wx', 0o600);
    try {
      await handle.writeFile(`${secretKeyText(key.bytes)}\n`, 'utf8');
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(temp, path);
  } catch (err) {
    await unlink(temp).catch(() => undefined);
    throw err;
  }
  await syncDirectory(dirname(path));
}

/** Renames a key file over another, durably. */
export async function replaceSecretKeyFile(from: string, to: string): Promise<void> {
  await rename(from, to);
  await syncDirectory(dirname(to));
}

export async function removeSecretKeyFile(path: string): Promise<void> {
  await unlink(path).catch((err: NodeJS.ErrnoException) => {
    if (err.code !== 'ENOENT') throw err;
  });
  await syncDirectory(dirname(path));
}
