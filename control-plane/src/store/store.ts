import { chmod, mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { Memory, type Adapter } from 'lowdb';
import { systemNow, type Now } from '../clock.js';
import { AtomicJsonFile } from './atomic-json-file.js';
import { Database } from './database.js';
import type { HistoryStore } from './history.js';
import { GitCredentialRecords } from './git-credentials.js';
import { JoinTokenRecords } from './join-tokens.js';
import { LmdbHistory } from './lmdb-history.js';
import { MemoryHistory } from './memory-history.js';
import { migrateLegacyData } from './migrate.js';
import { EnvironmentRecords, ProjectRecords } from './projects.js';
import type { Data } from './records.js';
import { RegistryRecords } from './registries.js';
import { openServers } from './open-servers.js';
import type { PresenceSnapshot } from './presence.js';
import { FileServerJournal, MemoryServerJournal, type ServerJournal } from './server-journal.js';
import type { ServerRecords } from './servers.js';
import { ServiceRecords } from './services.js';

export const DB_FILE = 'db.json';
/** The folder of the history store (LMDB's data.mdb and lock.mdb). */
export const HISTORY_DIR = 'history';
/** The servers' configuration and spent join tokens: an append-only journal. */
export const SERVERS_FILE = 'servers.ndjson';
/** Last-seen times and online status of servers, written in batches. */
export const PRESENCE_FILE = 'presence.json';

export interface StoreOptions {
  now?: Now;
  /** Longest delay of a heartbeat-only write, in milliseconds. */
  lazyWriteMs?: number;
  onLazyWriteError?: (err: unknown) => void;
  /** Told what a first start of this release did to an older data dir. */
  onMigrated?: (summary: string) => void;
  /** Where servers are journaled; in memory unless given. */
  serverJournal?: ServerJournal;
  /** Where the presence snapshot goes; in memory unless given. */
  presence?: Adapter<PresenceSnapshot>;
}

/**
 * The records of the control plane. Configuration (servers, projects, environments, services,
 * join tokens) is small and changes rarely: it lives in db.json. Deployments, jobs and the run
 * state of services are many and change often: they live in the history store.
 */
export class Store {
  readonly servers: ServerRecords;
  readonly joinTokens: JoinTokenRecords;
  readonly projects: ProjectRecords;
  readonly environments: EnvironmentRecords;
  readonly services: ServiceRecords;
  readonly registries: RegistryRecords;
  readonly gitCredentials: GitCredentialRecords;
  readonly history: HistoryStore;
  /** The configuration's lowdb database; change it only inside `db.mutate`. */
  readonly db: Database;

  readonly #journal: ServerJournal;

  constructor(args: {
    db: Database;
    history: HistoryStore;
    servers: ServerRecords;
    journal: ServerJournal;
    now: Now;
  }) {
    const { db, history, now } = args;
    this.db = db;
    this.history = history;
    this.servers = args.servers;
    this.#journal = args.journal;
    this.joinTokens = new JoinTokenRecords(db);
    this.projects = new ProjectRecords(db, now);
    this.environments = new EnvironmentRecords(db, now);
    this.services = new ServiceRecords(db, history, now);
    this.registries = new RegistryRecords(db, now);
    this.gitCredentials = new GitCredentialRecords(db, now);
  }

  /** Writes anything still pending; call before exit. */
  async flush(): Promise<void> {
    await this.db.flush();
    await this.servers.flush();
  }

  /** Flushes and closes the stores. */
  async close(): Promise<void> {
    await this.flush();
    await this.#journal.close();
    await this.history.close();
  }
}

/**
 * Creates the data dir (0700) if needed, migrates a 0.1.0 db.json, and opens db.json and the
 * history store in it.
 */
export async function openFileStore(dataDir: string, options: StoreOptions = {}): Promise<Store> {
  await mkdir(dataDir, { recursive: true, mode: 0o700 });
  const path = join(dataDir, DB_FILE);
  const file = new AtomicJsonFile<Data>(path);
  await file.removeLeftovers();
  const historyDir = join(dataDir, HISTORY_DIR);
  await mkdir(historyDir, { recursive: true, mode: 0o700 });
  const history = new LmdbHistory(historyDir);
  // It holds the services' env values as they were deployed.
  await chmod(join(historyDir, 'data.mdb'), 0o600);
  try {
    const summary = await migrateLegacyData({ path, file, history });
    if (summary) options.onMigrated?.(summary);
    const presence = new AtomicJsonFile<PresenceSnapshot>(join(dataDir, PRESENCE_FILE), {
      pretty: false,
    });
    // A write cut off by a crash leaves its temporary file; the snapshot itself is whole.
    await presence.removeLeftovers();
    return await openStore(file, path, history, {
      serverJournal: new FileServerJournal(join(dataDir, SERVERS_FILE)),
      presence,
      ...options,
    });
  } catch (err) {
    await history.close();
    throw err;
  }
}

/** A presence snapshot kept in memory, for tests that reopen a store over the same one. */
export function memoryPresence(): Adapter<PresenceSnapshot> {
  return new Memory<PresenceSnapshot>();
}

/** A store kept in memory, for tests. */
export function openMemoryStore(options: StoreOptions = {}): Promise<Store> {
  return openStore(new Memory<Data>(), 'the in-memory store', new MemoryHistory(), options);
}

/** A store on any lowdb adapter and history; tests use it to watch writes. */
export async function openStore(
  adapter: Adapter<Data>,
  label: string,
  history: HistoryStore,
  options: StoreOptions,
): Promise<Store> {
  const db = await Database.open(adapter, {
    label,
    ...(options.lazyWriteMs === undefined ? {} : { lazyWriteMs: options.lazyWriteMs }),
    ...(options.onLazyWriteError ? { onLazyWriteError: options.onLazyWriteError } : {}),
  });
  const now = options.now ?? systemNow;
  const journal = options.serverJournal ?? new MemoryServerJournal();
  const servers = await openServers({
    db,
    journal,
    presence: options.presence ?? memoryPresence(),
    presenceOptions: {
      ...(options.onLazyWriteError ? { onWriteError: options.onLazyWriteError } : {}),
    },
    now,
  });
  return new Store({ db, history, servers, journal, now });
}
