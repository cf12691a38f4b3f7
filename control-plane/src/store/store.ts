import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { Memory, type Adapter } from 'lowdb';
import { systemNow, type Now } from '../clock.js';
import { AtomicJsonFile } from './atomic-json-file.js';
import { Database } from './database.js';
import { JoinTokenRecords } from './join-tokens.js';
import { EnvironmentRecords, ProjectRecords } from './projects.js';
import type { Data } from './records.js';
import { ServerRecords } from './servers.js';
import { ServiceRecords } from './services.js';

export const DB_FILE = 'db.json';

export interface StoreOptions {
  now?: Now;
  /** Longest delay of a heartbeat-only write, in milliseconds. */
  lazyWriteMs?: number;
  onLazyWriteError?: (err: unknown) => void;
}

/** The records of the control plane, grouped by resource. */
export class Store {
  readonly servers: ServerRecords;
  readonly joinTokens: JoinTokenRecords;
  readonly projects: ProjectRecords;
  readonly environments: EnvironmentRecords;
  readonly services: ServiceRecords;
  /**
   * Raw access for collections that have no accessor class yet (deployments, jobs). Change data
   * only inside `db.mutate`.
   */
  readonly db: Database;

  constructor(db: Database, now: Now) {
    this.db = db;
    this.servers = new ServerRecords(db, now);
    this.joinTokens = new JoinTokenRecords(db);
    this.projects = new ProjectRecords(db, now);
    this.environments = new EnvironmentRecords(db, now);
    this.services = new ServiceRecords(db, now);
  }

  /** Writes anything still pending; call before exit. */
  flush(): Promise<void> {
    return this.db.flush();
  }
}

/** Creates the data dir (0700) if needed and opens `db.json` in it. */
export async function openFileStore(dataDir: string, options: StoreOptions = {}): Promise<Store> {
  await mkdir(dataDir, { recursive: true, mode: 0o700 });
  const path = join(dataDir, DB_FILE);
  const file = new AtomicJsonFile<Data>(path);
  await file.removeLeftovers();
  return openStore(file, path, options);
}

/** A store kept in memory, for tests. */
export function openMemoryStore(options: StoreOptions = {}): Promise<Store> {
  return openStore(new Memory<Data>(), 'the in-memory store', options);
}

/** A store on any lowdb adapter; tests use it to watch writes. */
export async function openStore(
  adapter: Adapter<Data>,
  label: string,
  options: StoreOptions,
): Promise<Store> {
  const db = await Database.open(adapter, {
    label,
    ...(options.lazyWriteMs === undefined ? {} : { lazyWriteMs: options.lazyWriteMs }),
    ...(options.onLazyWriteError ? { onLazyWriteError: options.onLazyWriteError } : {}),
  });
  return new Store(db, options.now ?? systemNow);
}
