import type { Logger } from '../log.js';
import type { Database } from './database.js';
import type { SessionRecord } from './records.js';

/** Where dashboard sessions outlive a restart. */
export interface SessionStore {
  /** The sessions kept at the last stop. */
  load(): SessionRecord[];
  /** Resolves once the session is on disk (it works in memory at once). */
  add(record: SessionRecord): Promise<void>;
  /** Moves a session's idle timer on; written within a moment, together with other touches. */
  touch(idHash: string, lastSeenAt: number): void;
  remove(idHashes: string[]): void;
  removeAll(): void;
}

/**
 * Dashboard sessions in db.json. The dashboard reads them from memory; these writes follow in
 * the background, and a failed one is logged (the session still works until the next restart).
 */
export class SessionRecords implements SessionStore {
  readonly #db: Database;
  readonly #log: Logger;

  constructor(db: Database, log: Logger) {
    this.#db = db;
    this.#log = log;
  }

  load(): SessionRecord[] {
    return structuredClone(this.#db.data.sessions);
  }

  add(record: SessionRecord): Promise<void> {
    return this.#write((sessions) => [...sessions, { ...record }]);
  }

  touch(idHash: string, lastSeenAt: number): void {
    this.#db.mutateLazy((data) => {
      const kept = data.sessions.find((s) => s.idHash === idHash);
      if (kept) kept.lastSeenAt = lastSeenAt;
    });
  }

  remove(idHashes: string[]): void {
    if (idHashes.length === 0) return;
    const gone = new Set(idHashes);
    void this.#write((sessions) => sessions.filter((s) => !gone.has(s.idHash)));
  }

  removeAll(): void {
    void this.#write(() => []);
  }

  #write(change: (sessions: SessionRecord[]) => SessionRecord[]): Promise<void> {
    return this.#db
      .mutate((data) => {
        data.sessions = change(data.sessions);
      })
      .catch((err: unknown) => {
        this.#log.error(
          `could not save the dashboard sessions: ${err instanceof Error ? err.message : String(err)}`,
        );
      });
  }
}
