import { chmod, copyFile, open, readFile, rename } from 'node:fs/promises';

/** A file's text, or null when there is no such file. */
export async function readTextIfExists(path: string): Promise<string | null> {
  try {
    return await readFile(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw err;
  }
}

/** Copies a file durably and 0600, through a temp file, so a crash never leaves a torn copy. */
export async function copyFileDurably(path: string, copy: string): Promise<void> {
  const temp = `${copy}.tmp`;
  await copyFile(path, temp);
  await chmod(temp, 0o600);
  const handle = await open(temp, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
  await rename(temp, copy);
}

/** Makes the renames and removals in a directory durable. */
export async function syncDirectory(dir: string): Promise<void> {
  const handle = await open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}
