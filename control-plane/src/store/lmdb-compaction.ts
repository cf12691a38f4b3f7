import { open as openFile, mkdir, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { open } from 'lmdb';
import { syncDirectory } from './files.js';

/** A `meta` entry: jobs were rewritten, and their old bytes may linger in the file's free pages. */
export const COMPACT_PENDING = 'compactPending';

/**
 * LMDB never overwrites a page in place: a rewritten job's old bytes (a plain env value before
 * sealing, or a value under a rotated-out key) stay in free pages of data.mdb until reused. This
 * copies only the live pages into a new file and renames it over data.mdb. Run it only while no
 * LmdbHistory has the folder open. The marker goes last, so a crash means another try next start.
 */
export async function compactHistoryIfPending(historyDir: string): Promise<boolean> {
  const root = open({ path: historyDir, compression: false });
  const meta = root.openDB<number, string>({ name: 'meta', cache: false });
  if (meta.get(COMPACT_PENDING) !== 1) {
    await root.close();
    return false;
  }
  const copyDir = `${historyDir}.compact`;
  const copy = join(copyDir, 'data.mdb');
  try {
    await rm(copyDir, { recursive: true, force: true });
    await mkdir(copyDir, { mode: 0o700 });
    await root.backup(copyDir, true);
  } finally {
    await root.close();
  }
  const handle = await openFile(copy, 'r+');
  try {
    await handle.chmod(0o600);
    await handle.sync();
  } finally {
    await handle.close();
  }
  await rename(copy, join(historyDir, 'data.mdb'));
  await syncDirectory(historyDir);
  await rm(copyDir, { recursive: true, force: true });
  const compacted = open({ path: historyDir, compression: false });
  try {
    await compacted.openDB<number, string>({ name: 'meta', cache: false }).remove(COMPACT_PENDING);
  } finally {
    await compacted.close();
  }
  return true;
}
