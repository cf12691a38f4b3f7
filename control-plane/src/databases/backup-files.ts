import { createHash, randomBytes } from 'node:crypto';
import { createReadStream, type ReadStream } from 'node:fs';
import { mkdir, open, readdir, rename, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import type { BackupRecord } from '../store/records.js';

const EXTENSIONS: Record<string, string> = { 'pg_dump-custom': 'dump', sql: 'sql', rdb: 'rdb' };

export interface StoredFile {
  sha256: string;
  sizeBytes: number;
}

/**
 * Backup files under `<dir>/<serviceId>/`. An upload is written to a `.partial` file, hashed as
 * it arrives, synced, then renamed into place; a failed one leaves nothing behind.
 */
export class BackupFiles {
  constructor(private readonly dir: string) {}

  pathOf(backup: Pick<BackupRecord, 'id' | 'serviceId' | 'format'>): string {
    const ext = EXTENSIONS[backup.format] ?? 'bin';
    return join(this.dir, backup.serviceId, `${backup.id}.${ext}`);
  }

  /** The name a download of it gets. */
  fileName(backup: Pick<BackupRecord, 'id' | 'serviceId' | 'format' | 'number'>): string {
    const ext = EXTENSIONS[backup.format] ?? 'bin';
    return `${backup.serviceId}-backup-${backup.number}.${ext}`;
  }

  /** Stores the body as the backup's file, replacing any earlier upload of it. */
  async receive(backup: BackupRecord, body: Readable): Promise<StoredFile> {
    const path = this.pathOf(backup);
    // Each upload has its own partial file, so a retry never writes into one still arriving.
    const partial = `${path}.${randomBytes(6).toString('hex')}.partial`;
    await mkdir(join(this.dir, backup.serviceId), { recursive: true, mode: 0o700 });
    const hash = createHash('sha256');
    let sizeBytes = 0;
    const file = await open(partial, 'w', 0o600);
    try {
      for await (const chunk of body as AsyncIterable<Buffer>) {
        hash.update(chunk);
        sizeBytes += chunk.length;
        await file.write(chunk);
      }
      await file.datasync();
    } catch (err) {
      await file.close().catch(() => undefined);
      await rm(partial, { force: true });
      throw err;
    }
    await file.close();
    await rename(partial, path);
    return { sha256: hash.digest('hex'), sizeBytes };
  }

  /** The stored file to read, or null when there is none. */
  async open(backup: BackupRecord): Promise<{ stream: ReadStream; sizeBytes: number } | null> {
    const path = this.pathOf(backup);
    const info = await stat(path).catch(() => null);
    if (!info) return null;
    return { stream: createReadStream(path), sizeBytes: info.size };
  }

  /** Removes the backup's file. */
  async remove(backup: Pick<BackupRecord, 'id' | 'serviceId' | 'format'>): Promise<void> {
    await rm(this.pathOf(backup), { force: true });
  }

  /** Deletes partial uploads a crash left behind; call at start, before uploads arrive. */
  async removeLeftovers(): Promise<number> {
    await mkdir(this.dir, { recursive: true, mode: 0o700 });
    let removed = 0;
    for (const entry of await readdir(this.dir, { recursive: true, withFileTypes: true })) {
      if (!entry.isFile() || !entry.name.endsWith('.partial')) continue;
      await rm(join(entry.parentPath, entry.name), { force: true });
      removed += 1;
    }
    return removed;
  }
}
