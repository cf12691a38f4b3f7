import type { KeyObject } from 'node:crypto';
import type { DockerInfo, ServerStatus } from '@berth/protocol';
import { isoTime, type Now } from '../clock.js';
import { parseEd25519PublicKey } from '../crypto.js';
import { BerthError } from '../errors.js';
import type { Database } from './database.js';
import { checkJoinToken, spentHashKeptUntil, type RedeemFailure } from './join-tokens.js';
import type { PresenceBook } from './presence.js';
import type { ServerRecord } from './records.js';
import type { JournalEntry, ServerConfig, ServerJournal } from './server-journal.js';
import { ServerIndex, type ServerPage } from './server-index.js';

export interface EnrollInput {
  id: string;
  tokenHash: string;
  name: string;
  publicKey: string;
  agentVersion: string;
}

export type EnrollResult =
  { ok: true; server: ServerRecord } | { ok: false; reason: RedeemFailure };

export interface ExpireOptions {
  at: number;
  livenessTimeoutMs: number;
  /** Until then, servers `reconnecting` after a restart keep that status (ms since the epoch). */
  graceUntil: number;
  isConnected: (id: string) => boolean;
}

/**
 * Servers: configuration in the append-only server journal, indexed by id; status and last-seen
 * times in the presence book. Every lookup is by index, and nothing here rewrites db.json.
 */
export class ServerRecords {
  readonly #db: Database;
  readonly #journal: ServerJournal;
  readonly #presence: PresenceBook;
  readonly #now: Now;
  readonly #index = new ServerIndex();
  readonly #revoked = new Set<string>();
  /** Hashes of spent join tokens, and until when (ms) each is kept for the "already used" answer. */
  readonly #spent = new Map<string, number>();
  readonly #keys = new Map<string, KeyObject | null>();

  constructor(args: { db: Database; journal: ServerJournal; presence: PresenceBook; now: Now }) {
    this.#db = args.db;
    this.#journal = args.journal;
    this.#presence = args.presence;
    this.#now = args.now;
  }

  /** Replays journal entries (at open). */
  replay(entries: readonly JournalEntry[]): void {
    for (const entry of entries) {
      switch (entry.op) {
        case 'server':
          this.#index.put(entry.server);
          this.#keys.delete(entry.server.id);
          break;
        case 'revoke':
          this.#index.remove(entry.id);
          this.#revoked.add(entry.id);
          break;
        case 'spent':
          this.#spent.set(entry.tokenHash, entry.until);
          break;
      }
    }
    for (const server of this.#index.all()) {
      this.#presence.add(server.id, { status: 'offline', lastSeenMs: null });
    }
  }

  /** The journal's live content, for compaction; expired token hashes are dropped. */
  compacted(): JournalEntry[] {
    const at = this.#now();
    const entries: JournalEntry[] = [];
    for (const server of this.#index.all()) entries.push({ op: 'server', server });
    for (const id of this.#revoked) entries.push({ op: 'revoke', id });
    for (const [tokenHash, until] of this.#spent) {
      if (until > at) entries.push({ op: 'spent', tokenHash, until });
      else this.#spent.delete(tokenHash);
    }
    return entries;
  }

  /** Writes the presence snapshot now. */
  flush(): Promise<void> {
    return this.#presence.flush();
  }

  get size(): number {
    return this.#index.size;
  }

  get(id: string): ServerRecord | undefined {
    const config = this.#index.get(id);
    return config && this.#view(config);
  }

  /** Every server, in enrollment order. Costs O(fleet): prefer `page`. */
  list(): ServerRecord[] {
    return this.#index.all().map((config) => this.#view(config));
  }

  page(options: {
    limit: number;
    cursor?: string;
    status?: ServerStatus;
  }): ServerPage<ServerRecord> {
    const { status } = options;
    const page = this.#index.page({
      limit: options.limit,
      ...(options.cursor === undefined ? {} : { cursor: options.cursor }),
      ...(status === undefined
        ? {}
        : { filter: (s: ServerConfig) => this.#status(s.id) === status }),
    });
    return { items: page.items.map((config) => this.#view(config)), nextCursor: page.nextCursor };
  }

  /** Ids of the servers with this status, without building their records. */
  idsWithStatus(status: ServerStatus): string[] {
    const ids: string[] = [];
    for (const [id, presence] of this.#presence.entries())
      if (presence.status === status) ids.push(id);
    return ids;
  }

  countByStatus(): Record<ServerStatus, number> {
    const counts: Record<ServerStatus, number> = { online: 0, reconnecting: 0, offline: 0 };
    for (const [, presence] of this.#presence.entries()) counts[presence.status] += 1;
    return counts;
  }

  /** The parsed public key of a server, parsed once. */
  publicKey(id: string): KeyObject | null {
    const known = this.#keys.get(id);
    if (known !== undefined) return known;
    const config = this.#index.get(id);
    if (!config) return null;
    const key = parseEd25519PublicKey(config.publicKey);
    this.#keys.set(id, key);
    return key;
  }

  nameOf(id: string): string | undefined {
    return this.#index.get(id)?.name;
  }

  /** Notes a sign of life at `at` (ms), in memory only. */
  seen(id: string, at: number): void {
    this.#presence.seen(id, at);
  }

  isRevoked(id: string): boolean {
    return this.#revoked.has(id);
  }

  /** Spends the join token and creates the server in one journal append; the server starts offline. */
  async enroll(input: EnrollInput): Promise<EnrollResult> {
    if (this.#index.get(input.id) || this.#revoked.has(input.id)) {
      throw new BerthError('CONFLICT', `server id ${input.id} already exists`);
    }
    const at = this.#now();
    const checked = checkJoinToken(this.#db.data, this.#spent, input.tokenHash, at);
    if (!checked.ok) return { ok: false, reason: checked.reason };
    // Taken in memory before the first await, so no second caller can spend it.
    const until = spentHashKeptUntil(checked.token, at);
    this.#spent.set(input.tokenHash, until);
    const config: ServerConfig = {
      id: input.id,
      name: input.name,
      publicKey: input.publicKey,
      agentVersion: input.agentVersion,
      docker: null,
      createdAt: isoTime(at),
    };
    this.#index.put(config);
    this.#presence.add(config.id, { status: 'offline', lastSeenMs: null });
    try {
      await this.#journal.append([
        { op: 'spent', tokenHash: input.tokenHash, until },
        { op: 'server', server: config },
      ]);
    } catch (err) {
      this.#spent.delete(input.tokenHash);
      this.#index.remove(config.id);
      this.#presence.remove(config.id);
      throw err;
    }
    // The spent record itself goes from db.json in the next write; the journal already refuses it.
    this.#db.mutateLazy((data) => {
      data.joinTokens = data.joinTokens.filter((token) => token.tokenHash !== input.tokenHash);
    });
    return { ok: true, server: this.#view(config) };
  }

  /** Records an authenticated connection. Writes only when the agent or Docker version changed. */
  async markOnline(id: string, info: { agentVersion: string; docker: DockerInfo }): Promise<void> {
    const config = this.#index.get(id);
    if (!config) return;
    this.#presence.setStatus(id, 'online');
    this.#presence.seen(id, this.#now());
    if (config.agentVersion === info.agentVersion && sameDocker(config.docker, info.docker)) return;
    await this.#update({ ...config, agentVersion: info.agentVersion, docker: info.docker });
  }

  /** Marks a server offline; returns whether its status changed. */
  markOffline(id: string): Promise<boolean> {
    return Promise.resolve(this.#presence.setStatus(id, 'offline'));
  }

  /**
   * Notes a heartbeat, in memory. A change of Docker state is journaled: the returned promise
   * settles once it is on disk. Usually nothing changed, and there is no promise at all.
   */
  touch(id: string, docker?: DockerInfo): Promise<void> | null {
    const config = this.#index.get(id);
    if (!config) return null;
    this.#presence.seen(id, this.#now());
    if (docker === undefined || sameDocker(config.docker, docker)) return null;
    return this.#update({ ...config, docker });
  }

  /**
   * Marks offline every server that is not connected and whose time is up: `online` ones silent
   * past the liveness timeout, `reconnecting` ones once the restart grace is over. Returns their ids.
   */
  expireSilent(options: ExpireOptions): string[] {
    const { at, livenessTimeoutMs, graceUntil, isConnected } = options;
    const expired: string[] = [];
    for (const [id, presence] of this.#presence.entries()) {
      if (presence.status === 'offline' || isConnected(id)) continue;
      const deadline =
        presence.status === 'reconnecting'
          ? Math.max(graceUntil, (presence.lastSeenMs ?? 0) + livenessTimeoutMs)
          : (presence.lastSeenMs ?? 0) + livenessTimeoutMs;
      if (at >= deadline) expired.push(id);
    }
    for (const id of expired) this.#presence.setStatus(id, 'offline');
    return expired;
  }

  /** Deletes the server and keeps a tombstone so its identity is refused from now on. */
  async revoke(id: string): Promise<boolean> {
    const config = this.#index.get(id);
    if (!config) return false;
    this.#index.remove(id);
    this.#revoked.add(id);
    this.#keys.delete(id);
    this.#presence.remove(id);
    try {
      await this.#journal.append([{ op: 'revoke', id }]);
    } catch (err) {
      this.#revoked.delete(id);
      this.#index.put(config);
      this.#presence.add(id, { status: 'offline', lastSeenMs: null });
      throw err;
    }
    return true;
  }

  async #update(config: ServerConfig): Promise<void> {
    this.#index.put(config);
    await this.#journal.append([{ op: 'server', server: config }]);
  }

  #status(id: string): ServerStatus {
    return this.#presence.get(id)?.status ?? 'offline';
  }

  #view(config: ServerConfig): ServerRecord {
    const presence = this.#presence.get(config.id);
    const lastSeenMs = presence?.lastSeenMs ?? null;
    return {
      ...config,
      status: presence?.status ?? 'offline',
      lastSeenAt: lastSeenMs === null ? null : isoTime(lastSeenMs),
    };
  }
}

function sameDocker(a: DockerInfo, b: DockerInfo): boolean {
  return a === null || b === null ? a === b : a.version === b.version;
}
