import { readdir } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import type { Now } from '../clock.js';
import { copyFileDurably } from './files.js';
import { LEGACY_BACKUP_SUFFIX } from './migrate.js';

/** db.json as it was before its secrets were sealed: `db.json.plain-backup-<time>`. */
export const PLAIN_BACKUP_INFIX = '.plain-backup-';

/** Copies db.json, durably and 0600, before its plain secrets are sealed; returns the copy's path. */
export async function keepPlainBackup(path: string, now: Now): Promise<string> {
  const stamp = new Date(now()).toISOString().replace(/[:.]/g, '-');
  const backup = `${path}${PLAIN_BACKUP_INFIX}${stamp}`;
  await copyFileDurably(path, backup);
  return backup;
}

/** Copies of db.json in its folder that still hold plain secrets. */
export async function plainCopiesOf(path: string): Promise<string[]> {
  const prefix = basename(path);
  const names = await readdir(dirname(path));
  return names
    .filter(
      (name) =>
        (name.startsWith(`${prefix}${PLAIN_BACKUP_INFIX}`) && !name.endsWith('.tmp')) ||
        name === `${prefix}${LEGACY_BACKUP_SUFFIX}`,
    )
    .sort()
    .map((name) => join(dirname(path), name));
}
