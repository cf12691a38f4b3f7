import { readFile, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

/** The id of the control plane process serving a data dir, while it runs. */
export const PID_FILE = 'control-plane.pid';

/** Records this process as the one serving `dataDir`; the returned function removes the record. */
export async function writePidFile(dataDir: string): Promise<() => Promise<void>> {
  const path = join(dataDir, PID_FILE);
  await writeFile(path, `${process.pid}\n`, { mode: 0o644 });
  return async () => {
    const text = await readFile(path, 'utf8').catch(() => '');
    if (text.trim() === String(process.pid)) await unlink(path).catch(() => undefined);
  };
}

/** The pid of another live process serving `dataDir`, or null; a stale file is ignored. */
export async function runningControlPlane(dataDir: string): Promise<number | null> {
  const text = await readFile(join(dataDir, PID_FILE), 'utf8').catch(() => '');
  const pid = Number(text.trim());
  if (!Number.isInteger(pid) || pid <= 0 || pid === process.pid) return null;
  try {
    process.kill(pid, 0);
    return pid;
  } catch (err) {
    // EPERM: alive, but another user's; ESRCH: gone.
    return (err as NodeJS.ErrnoException).code === 'EPERM' ? pid : null;
  }
}
