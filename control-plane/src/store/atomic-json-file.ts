import { randomBytes } from 'node:crypto';
import * as fsp from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import type { Adapter } from 'lowdb';
import { BerthError } from '../errors.js';

/** The subset of node:fs/promises the adapter uses; injectable so tests can fail a step. */
export type FileSystem = Pick<typeof fsp, 'open' | 'readFile' | 'rename' | 'unlink' | 'readdir'>;

const FILE_MODE = 0o600;

/**
 * A lowdb adapter that replaces the file atomically and durably: the JSON goes to a temp file in
 * the same directory, is fsynced, renamed over the target, and the directory is fsynced. A crash at
 * any point leaves either the old file or the new one, never a torn mix.
 */
export class AtomicJsonFile<T> implements Adapter<T> {
  readonly #path: string;
  readonly #fs: FileSystem;

  readonly #pretty: boolean;

  /** `pretty: false` writes one compact line, for machine-only files that are rewritten often. */
  constructor(path: string, options: { fs?: FileSystem; pretty?: boolean } = {}) {
    this.#path = path;
    this.#fs = options.fs ?? fsp;
    this.#pretty = options.pretty ?? true;
  }

  async read(): Promise<T | null> {
    let text: string;
    try {
      text = await this.#fs.readFile(this.#path, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw err;
    }
    try {
      return JSON.parse(text) as T;
    } catch (err) {
      throw new BerthError(
        'DATA_CORRUPT',
        `${this.#path} is not valid JSON; restore it from a backup or move it away to start empty`,
        { cause: err },
      );
    }
  }

  write(data: T): Promise<void> {
    return this.writeText(JSON.stringify(data, null, this.#pretty ? 2 : undefined) + '\n');
  }

  /** Replaces the file with `text`, atomically and durably. */
  async writeText(text: string): Promise<void> {
    const temp = `${this.#path}.${randomBytes(6).toString('hex')}.tmp`;
    try {
      const handle = await this.#fs.open(temp, 'wx', FILE_MODE);
      try {
        await handle.writeFile(text, 'utf8');
        await handle.sync();
      } finally {
        await handle.close();
      }
      await this.#fs.rename(temp, this.#path);
    } catch (err) {
      await this.#fs.unlink(temp).catch(() => undefined);
      throw err;
    }
    await this.#syncDirectory();
  }

  /** Deletes temp files a crash left behind. They are never read. */
  async removeLeftovers(): Promise<void> {
    const dir = dirname(this.#path);
    const prefix = `${basename(this.#path)}.`;
    const names = await this.#fs.readdir(dir);
    for (const name of names) {
      if (name.startsWith(prefix) && name.endsWith('.tmp')) {
        await this.#fs.unlink(join(dir, name)).catch(() => undefined);
      }
    }
  }

  async #syncDirectory(): Promise<void> {
    const handle = await this.#fs.open(dirname(this.#path), 'r');
    try {
      await handle.sync();
    } finally {
      await handle.close();
    }
  }
}
