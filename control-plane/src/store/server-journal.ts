import * as fsp from 'node:fs/promises';
import { dockerInfoSchema } from '@berth/protocol';
import { z } from 'zod';
import { BerthError } from '../errors.js';
import { AtomicJsonFile } from './atomic-json-file.js';

/** A server's configuration: what enrollment and the agent's hello set. Status lives in memory. */
export const serverConfigSchema = z.object({
  id: z.string(),
  name: z.string(),
  /** base64 DER (SPKI) Ed25519 key; never leaves the store through the API. */
  publicKey: z.string(),
  agentVersion: z.string().nullable(),
  docker: dockerInfoSchema,
  createdAt: z.string(),
});
export type ServerConfig = z.infer<typeof serverConfigSchema>;

/** One line of the journal. Replaying every line in order gives the fleet's configuration. */
export const journalEntrySchema = z.discriminatedUnion('op', [
  z.object({ op: z.literal('server'), server: serverConfigSchema }),
  z.object({ op: z.literal('revoke'), id: z.string() }),
  /** A join token was spent; its hash is kept until `until` (ms) for the "already used" answer. */
  z.object({ op: z.literal('spent'), tokenHash: z.string(), until: z.number() }),
]);
export type JournalEntry = z.infer<typeof journalEntrySchema>;

/**
 * Where the fleet's configuration is kept: an append-only log, so enrolling a server or recording
 * a new agent version costs one short append whatever the size of the fleet.
 */
export interface ServerJournal {
  /** Every entry, oldest first; null when there is no journal yet. */
  load(): Promise<JournalEntry[] | null>;
  /** Appends durably; concurrent calls share one write and one sync. */
  append(entries: readonly JournalEntry[]): Promise<void>;
  /** Replaces the whole journal atomically with `entries` (compaction). */
  rewrite(entries: readonly JournalEntry[]): Promise<void>;
  close(): Promise<void>;
}

/** The journal in memory, for tests. */
export class MemoryServerJournal implements ServerJournal {
  entries: JournalEntry[] | null = null;

  load(): Promise<JournalEntry[] | null> {
    return Promise.resolve(this.entries && [...this.entries]);
  }

  append(entries: readonly JournalEntry[]): Promise<void> {
    (this.entries ??= []).push(...structuredClone(entries));
    return Promise.resolve();
  }

  rewrite(entries: readonly JournalEntry[]): Promise<void> {
    this.entries = structuredClone([...entries]);
    return Promise.resolve();
  }

  close(): Promise<void> {
    return Promise.resolve();
  }
}

/** The journal as NDJSON in one file (0600), appended with group commit and fdatasync. */
export class FileServerJournal implements ServerJournal {
  readonly #path: string;
  #handle: fsp.FileHandle | null = null;
  #queued: string[] = [];
  #waiters: { resolve: () => void; reject: (err: unknown) => void }[] = [];
  #writing: Promise<void> | null = null;

  constructor(path: string) {
    this.#path = path;
  }

  async load(): Promise<JournalEntry[] | null> {
    let text: string;
    try {
      text = await fsp.readFile(this.#path, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw err;
    }
    const entries: JournalEntry[] = [];
    const lines = text.split('\n');
    for (const [index, line] of lines.entries()) {
      if (line === '') continue;
      const parsed = parseLine(line);
      if (parsed) {
        entries.push(parsed);
        continue;
      }
      // A crash can tear only the last append; anything else is damage.
      if (index >= lines.length - 2) break;
      throw new BerthError(
        'DATA_CORRUPT',
        `${this.#path} line ${index + 1} is not a valid server journal entry; restore it from a backup`,
      );
    }
    return entries;
  }

  append(entries: readonly JournalEntry[]): Promise<void> {
    if (entries.length === 0) return Promise.resolve();
    return new Promise((resolve, reject) => {
      for (const entry of entries) this.#queued.push(JSON.stringify(entry) + '\n');
      this.#waiters.push({ resolve, reject });
      this.#writing ??= this.#drain();
    });
  }

  async rewrite(entries: readonly JournalEntry[]): Promise<void> {
    await this.#writing;
    await this.#closeHandle();
    const file = new AtomicJsonFile<unknown>(this.#path);
    await file.writeText(entries.map((entry) => JSON.stringify(entry) + '\n').join(''));
  }

  async close(): Promise<void> {
    await this.#writing;
    await this.#closeHandle();
  }

  async #drain(): Promise<void> {
    try {
      while (this.#queued.length > 0) {
        const text = this.#queued.join('');
        const waiters = this.#waiters;
        this.#queued = [];
        this.#waiters = [];
        try {
          this.#handle ??= await fsp.open(this.#path, 'a', 0o600);
          await this.#handle.appendFile(text, 'utf8');
          await this.#handle.datasync();
          for (const waiter of waiters) waiter.resolve();
        } catch (err) {
          for (const waiter of waiters) waiter.reject(err);
        }
      }
    } finally {
      this.#writing = null;
    }
  }

  async #closeHandle(): Promise<void> {
    const handle = this.#handle;
    this.#handle = null;
    await handle?.close();
  }
}

function parseLine(line: string): JournalEntry | null {
  try {
    const parsed = journalEntrySchema.safeParse(JSON.parse(line));
    return parsed.success ? parsed.data : null;
  } catch {
    return null;
  }
}
