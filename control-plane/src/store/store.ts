import { chmod, mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { Memory, type Adapter } from 'lowdb';
import { systemNow, type Now } from '../clock.js';
import { loadKeyring, type Keyring } from '../secrets/keyring.js';
import { RecordSealer, sealedKeyIdsOf } from '../secrets/record-sealer.js';
import { resumeRotation } from '../secrets/rotation.js';
import { DB_SECRET_FIELDS, JOB_SECRET_FIELDS } from '../secrets/secret-fields.js';
import { AtomicJsonFile } from './atomic-json-file.js';
import { Database } from './database.js';
import type { HistoryStore } from './history.js';
import { AccessRecords } from './access.js';
import { GitCredentialRecords } from './git-credentials.js';
import { JoinTokenRecords } from './join-tokens.js';
import { LmdbHistory } from './lmdb-history.js';
import { MemoryHistory } from './memory-history.js';
import { LEGACY_BACKUP_SUFFIX, migrateLegacyData } from './migrate.js';
import { EnvironmentRecords, ProjectRecords } from './projects.js';
import type { Data } from './records.js';
import { RegistryRecords } from './registries.js';
import { openServers } from './open-servers.js';
import { compactHistoryIfPending } from './lmdb-compaction.js';
import { keepPlainBackup, plainCopiesOf } from './plain-backup.js';
import { SealedJsonFile } from './sealed-json-file.js';
import type { PresenceSnapshot } from './presence.js';
import { ProxyStatuses } from './proxy-statuses.js';
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
  /** The bytes of BERTH_SECRET_KEY; without it the key is kept in `secret.key` in the data dir. */
  secretKey?: Buffer | undefined;
  /** Told about what an operator should act on, e.g. copies of db.json with plain secrets. */
  onWarning?: (message: string) => void;
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
  /** Users, invites and personal API tokens. */
  readonly access: AccessRecords;
  readonly history: HistoryStore;
  /** The configuration's lowdb database; change it only inside `db.mutate`. */
  readonly db: Database;
  /** The keys that seal the secrets on disk; undefined for a store kept in memory. */
  readonly keyring: Keyring | undefined;
  /** Each server's proxy and certificates as its agent last reported them (memory only). */
  readonly proxies = new ProxyStatuses();

  readonly #journal: ServerJournal;

  constructor(args: {
    db: Database;
    history: HistoryStore;
    servers: ServerRecords;
    journal: ServerJournal;
    now: Now;
    keyring?: Keyring;
  }) {
    const { db, history, now } = args;
    this.db = db;
    this.keyring = args.keyring;
    this.history = history;
    this.servers = args.servers;
    this.#journal = args.journal;
    this.joinTokens = new JoinTokenRecords(db);
    this.projects = new ProjectRecords(db, now);
    this.environments = new EnvironmentRecords(db, now);
    this.services = new ServiceRecords(db, history, now);
    this.registries = new RegistryRecords(db, now);
    this.gitCredentials = new GitCredentialRecords(db, now);
    this.access = new AccessRecords(db, now);
  }

  /** Writes db.json and every job's secrets again, sealed under the keyring's current key. */
  async resealSecrets(): Promise<void> {
    await this.db.mutate(() => undefined);
    await this.history.resealSecrets();
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
 * Creates the data dir (0700) if needed, loads the secret key, migrates a 0.1.0 db.json, seals
 * secrets still stored plain, finishes a key rotation a crash cut short, and opens db.json and
 * the history store in it.
 */
export async function openFileStore(dataDir: string, options: StoreOptions = {}): Promise<Store> {
  await mkdir(dataDir, { recursive: true, mode: 0o700 });
  const path = join(dataDir, DB_FILE);
  const file = new AtomicJsonFile<Data>(path);
  await file.removeLeftovers();
  const keyring = await loadKeyring({
    dataDir,
    environmentKey: options.secretKey,
    sealedKeyIds: async () => sealedKeyIdsOf(await file.read(), DB_SECRET_FIELDS),
  });
  const historyDir = join(dataDir, HISTORY_DIR);
  await mkdir(historyDir, { recursive: true, mode: 0o700 });
  const openHistory = () =>
    new LmdbHistory(historyDir, { sealer: new RecordSealer(keyring.box, JOB_SECRET_FIELDS) });
  let history = openHistory();
  // It holds the services' env values as they were deployed, sealed.
  await chmod(join(historyDir, 'data.mdb'), 0o600);
  try {
    const summary = await migrateLegacyData({ path, file, history });
    if (summary) options.onMigrated?.(summary);
    const sealed = new SealedJsonFile<Data>(
      file,
      new RecordSealer(keyring.box, DB_SECRET_FIELDS),
      path,
    );
    // The legacy migration keeps its own copy of the file as it was.
    const keptCopy = summary ? `${path}${LEGACY_BACKUP_SUFFIX}` : null;
    await sealPlainSecrets({ path, file, sealed, history, keptCopy, options });
    await finishRotation({ keyring, sealed, history, options });
    if (history.compactPending()) {
      // Drop the bytes that sealing or a rotation replaced, before anything else is written.
      await history.close();
      await compactHistoryIfPending(historyDir);
      history = openHistory();
    }
    const presence = new AtomicJsonFile<PresenceSnapshot>(join(dataDir, PRESENCE_FILE), {
      pretty: false,
    });
    // A write cut off by a crash leaves its temporary file; the snapshot itself is whole.
    await presence.removeLeftovers();
    return await openStore(sealed, path, history, {
      serverJournal: new FileServerJournal(join(dataDir, SERVERS_FILE)),
      presence,
      ...options,
      keyring,
    });
  } catch (err) {
    await history.close();
    throw err;
  }
}

/**
 * Seals the secrets that a release before sealing stored plain. A copy of db.json is kept
 * first, since a bug here must not cost the user their configuration.
 */
async function sealPlainSecrets(args: {
  path: string;
  file: AtomicJsonFile<Data>;
  sealed: SealedJsonFile<Data>;
  history: HistoryStore;
  /** A copy of db.json as it was that this start already made, if any. */
  keptCopy: string | null;
  options: StoreOptions;
}): Promise<void> {
  const { path, file, sealed, history, options } = args;
  if (sealed.hasPlainFields(await file.read())) {
    const backup = args.keptCopy ?? (await keepPlainBackup(path, options.now ?? systemNow));
    await sealed.rewrite();
    options.onMigrated?.(`sealed the secrets in ${path}; the file as it was is kept as ${backup}`);
  }
  if (!(await history.secretsSealed())) {
    const jobs = await history.resealSecrets();
    if (jobs > 0) options.onMigrated?.(`sealed the env values of ${jobs} job(s) in the history`);
  }
  const copies = await plainCopiesOf(path);
  if (copies.length > 0) {
    options.onWarning?.(
      `${copies.join(', ')} hold(s) secrets in plain text (mode 0600); ` +
        'delete them once you have checked that this release works',
    );
  }
}

/** Finishes a key rotation that a crash cut short; see secrets/rotation.ts. */
async function finishRotation(args: {
  keyring: Keyring;
  sealed: SealedJsonFile<Data>;
  history: HistoryStore;
  options: StoreOptions;
}): Promise<void> {
  const { keyring, sealed, history, options } = args;
  const resumed = await resumeRotation({
    keyring,
    resealSecrets: async () => {
      await sealed.rewrite();
      await history.resealSecrets();
    },
  });
  if (!resumed) return;
  if (resumed.pendingKeyFile) {
    options.onWarning?.(
      `the secrets are sealed under key id ${resumed.keyId}, kept in ${resumed.pendingKeyFile}, ` +
        `but BERTH_SECRET_KEY is key id ${keyring.primary.id}; set BERTH_SECRET_KEY to the ` +
        `contents of ${resumed.pendingKeyFile} and restart`,
    );
  } else {
    options.onMigrated?.(
      `finished rotating the secret key: the secrets are sealed under key id ${resumed.keyId}`,
    );
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
  options: StoreOptions & { keyring?: Keyring },
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
  const store = new Store({
    db,
    history,
    servers,
    journal,
    now,
    ...(options.keyring ? { keyring: options.keyring } : {}),
  });
  await store.access.ensureOwner();
  return store;
}
