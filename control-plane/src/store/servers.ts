import type { DockerInfo } from '@berth/protocol';
import { isoTime, type Now } from '../clock.js';
import { BerthError } from '../errors.js';
import type { Database } from './database.js';
import { redeemJoinToken, type RedeemFailure } from './join-tokens.js';
import type { ServerRecord } from './records.js';

export interface EnrollInput {
  id: string;
  tokenHash: string;
  name: string;
  publicKey: string;
  agentVersion: string;
}

export type EnrollResult =
  { ok: true; server: ServerRecord } | { ok: false; reason: RedeemFailure };

export class ServerRecords {
  readonly #db: Database;
  readonly #now: Now;

  constructor(db: Database, now: Now) {
    this.#db = db;
    this.#now = now;
  }

  list(): ServerRecord[] {
    return structuredClone(this.#db.data.servers);
  }

  get(id: string): ServerRecord | undefined {
    const server = this.#find(id);
    return server && structuredClone(server);
  }

  isRevoked(id: string): boolean {
    return this.#db.data.revokedServerIds.includes(id);
  }

  /** Spends the join token and creates the server in one write; the server starts offline. */
  enroll(input: EnrollInput): Promise<EnrollResult> {
    return this.#db.mutate((data): EnrollResult => {
      if (data.servers.some((server) => server.id === input.id)) {
        throw new BerthError('CONFLICT', `server id ${input.id} already exists`);
      }
      const failure = redeemJoinToken(data, input.tokenHash, this.#now);
      if (failure) return { ok: false, reason: failure };
      const server: ServerRecord = {
        id: input.id,
        name: input.name,
        publicKey: input.publicKey,
        status: 'offline',
        lastSeenAt: null,
        agentVersion: input.agentVersion,
        docker: null,
        createdAt: isoTime(this.#now()),
      };
      data.servers.push(server);
      return { ok: true, server: structuredClone(server) };
    });
  }

  /** Records an authenticated connection; written at once. */
  async markOnline(id: string, info: { agentVersion: string; docker: DockerInfo }): Promise<void> {
    if (!this.#find(id)) return;
    await this.#db.mutate(() => {
      const server = this.#find(id);
      if (!server) return;
      server.status = 'online';
      server.lastSeenAt = isoTime(this.#now());
      server.agentVersion = info.agentVersion;
      server.docker = info.docker;
    });
  }

  /** Marks a server offline; written at once, and only when the status changes. */
  async markOffline(id: string): Promise<boolean> {
    const current = this.#find(id);
    if (!current || current.status === 'offline') return false;
    await this.#db.mutate((): void => {
      const server = this.#find(id);
      if (server) server.status = 'offline';
    });
    return true;
  }

  /**
   * Notes a sign of life. lastSeenAt alone is written lazily (at most about once a second);
   * a change of Docker state is written at once.
   */
  async touch(id: string, docker?: DockerInfo): Promise<void> {
    const server = this.#find(id);
    if (!server) return;
    const seenAt = isoTime(this.#now());
    const dockerChanged = docker !== undefined && !sameDocker(server.docker, docker);
    if (!dockerChanged) {
      this.#db.mutateLazy(() => {
        server.lastSeenAt = seenAt;
      });
      return;
    }
    await this.#db.mutate(() => {
      server.lastSeenAt = seenAt;
      server.docker = docker ?? null;
    });
  }

  /** Deletes the server and keeps a tombstone so its identity is refused from now on. */
  revoke(id: string): Promise<boolean> {
    return this.#db.mutate((data) => {
      const index = data.servers.findIndex((server) => server.id === id);
      if (index === -1) return false;
      data.servers.splice(index, 1);
      if (!data.revokedServerIds.includes(id)) data.revokedServerIds.push(id);
      return true;
    });
  }

  #find(id: string): ServerRecord | undefined {
    return this.#db.data.servers.find((server) => server.id === id);
  }
}

function sameDocker(a: DockerInfo, b: DockerInfo): boolean {
  return a === null || b === null ? a === b : a.version === b.version;
}
