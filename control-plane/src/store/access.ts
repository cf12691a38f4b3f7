import type { ProjectGrants, TokenScope } from '@berth/protocol';
import { isoTime, type Now } from '../clock.js';
import { newId } from '../crypto.js';
import { BerthError, notFound } from '../errors.js';
import type { Database } from './database.js';
import type { ApiTokenRecord, Data, InviteRecord, UserRecord } from './records.js';

/** The owner's login name when the first start makes the account. */
export const OWNER_NAME = 'owner';
/** An invite link works this long, in milliseconds. */
export const INVITE_TTL_MS = 72 * 60 * 60_000;
/** `lastUsedAt` of a token is written at most this often, in milliseconds. */
const TOKEN_TOUCH_MS = 60_000;

/** Users, invites and API tokens, kept in db.json; secrets only as hashes (TOTP secrets sealed). */
export class AccessRecords {
  readonly #db: Database;
  readonly #now: Now;

  constructor(db: Database, now: Now) {
    this.#db = db;
    this.#now = now;
  }

  /** The first start makes the owner, whom the bootstrap admin token signs in as. */
  async ensureOwner(): Promise<UserRecord> {
    const existing = this.owner();
    if (existing) return existing;
    return this.#db.mutate((data) => {
      const record: UserRecord = {
        id: newId('usr'),
        name: OWNER_NAME,
        role: 'owner',
        projects: {},
        createdAt: isoTime(this.#now()),
      };
      data.users.push(record);
      return structuredClone(record);
    });
  }

  owner(): UserRecord | undefined {
    const record = this.#db.data.users.find((user) => user.role === 'owner');
    return record && structuredClone(record);
  }

  users(): UserRecord[] {
    return structuredClone(this.#db.data.users);
  }

  user(id: string): UserRecord | undefined {
    const record = this.#db.data.users.find((user) => user.id === id);
    return record && structuredClone(record);
  }

  userByName(name: string): UserRecord | undefined {
    const wanted = name.toLowerCase();
    const record = this.#db.data.users.find((user) => user.name === wanted);
    return record && structuredClone(record);
  }

  /** Changes a user in place; 404 when there is none. */
  updateUser(id: string, change: (user: UserRecord) => void): Promise<UserRecord> {
    return this.#db.mutate((data) => {
      const record = data.users.find((user) => user.id === id);
      if (!record) throw notFound('user', id);
      change(record);
      return structuredClone(record);
    });
  }

  /** Removes a user and their API tokens (their sessions are ended by DashboardSessions). */
  async deleteUser(id: string): Promise<void> {
    await this.#db.mutate((data) => {
      const record = data.users.find((user) => user.id === id);
      if (!record) throw notFound('user', id);
      if (record.role === 'owner') {
        throw new BerthError('CONFLICT', 'the owner cannot be removed', { status: 409 });
      }
      data.users = data.users.filter((user) => user.id !== id);
      data.apiTokens = data.apiTokens.filter((token) => token.userId !== id);
    });
  }

  createInvite(options: {
    tokenHash: string;
    projects: ProjectGrants;
    note?: string | undefined;
    createdBy: string;
  }): Promise<InviteRecord> {
    const at = this.#now();
    const record: InviteRecord = {
      id: newId('inv'),
      tokenHash: options.tokenHash,
      projects: options.projects,
      ...(options.note ? { note: options.note } : {}),
      createdBy: options.createdBy,
      createdAt: isoTime(at),
      expiresAt: isoTime(at + INVITE_TTL_MS),
    };
    return this.#db.mutate((data) => {
      // Spent and expired invites are kept a while for the list, then dropped.
      data.invites = data.invites.filter(
        (invite) => Date.parse(invite.expiresAt) > at - INVITE_TTL_MS,
      );
      data.invites.push(record);
      return structuredClone(record);
    });
  }

  invites(): InviteRecord[] {
    return structuredClone(this.#db.data.invites);
  }

  deleteInvite(id: string): Promise<void> {
    return this.#db.mutate((data) => {
      if (!data.invites.some((invite) => invite.id === id)) throw notFound('invite', id);
      data.invites = data.invites.filter((invite) => invite.id !== id);
    });
  }

  /**
   * Spends an invite and makes its user, in one write: a link works once, and a taken name is
   * refused before the invite is spent.
   */
  acceptInvite(options: {
    tokenHash: string;
    name: string;
    passwordHash: string;
  }): Promise<UserRecord> {
    const at = this.#now();
    return this.#db.mutate((data) => {
      const invite = findInvite(data, options.tokenHash, at);
      if (data.users.some((user) => user.name === options.name)) {
        throw new BerthError('CONFLICT', `the name "${options.name}" is taken; choose another`, {
          status: 409,
        });
      }
      const user: UserRecord = {
        id: newId('usr'),
        name: options.name,
        role: 'member',
        projects: invite.projects,
        passwordHash: options.passwordHash,
        createdAt: isoTime(at),
      };
      data.users.push(user);
      invite.usedAt = isoTime(at);
      invite.usedBy = user.id;
      return structuredClone(user);
    });
  }

  /** Whether an invite token can still be used (for the sign-up page). */
  checkInvite(tokenHash: string): InviteRecord {
    return structuredClone(findInvite(this.#db.data, tokenHash, this.#now()));
  }

  createToken(options: {
    userId: string;
    name: string;
    tokenHash: string;
    scopes: TokenScope[];
    projectId?: string | undefined;
    expiresInDays?: number | undefined;
  }): Promise<ApiTokenRecord> {
    const at = this.#now();
    const record: ApiTokenRecord = {
      id: newId('tok'),
      userId: options.userId,
      name: options.name,
      tokenHash: options.tokenHash,
      scopes: [...new Set(options.scopes)],
      ...(options.projectId ? { projectId: options.projectId } : {}),
      createdAt: isoTime(at),
      ...(options.expiresInDays
        ? { expiresAt: isoTime(at + options.expiresInDays * 24 * 60 * 60_000) }
        : {}),
    };
    return this.#db.mutate((data) => {
      data.apiTokens.push(record);
      return structuredClone(record);
    });
  }

  tokensOf(userId: string): ApiTokenRecord[] {
    return structuredClone(this.#db.data.apiTokens.filter((token) => token.userId === userId));
  }

  tokenByHash(tokenHash: string): ApiTokenRecord | undefined {
    const record = this.#db.data.apiTokens.find((token) => token.tokenHash === tokenHash);
    return record && structuredClone(record);
  }

  /** Revokes a token of `userId` (any user's, for the owner). */
  revokeToken(id: string, userId: string | undefined): Promise<void> {
    return this.#db.mutate((data) => {
      const record = data.apiTokens.find((token) => token.id === id);
      if (!record || (userId !== undefined && record.userId !== userId))
        throw notFound('token', id);
      data.apiTokens = data.apiTokens.filter((token) => token.id !== id);
    });
  }

  /** Notes a token's use; written with the next batch, at most once a minute per token. */
  touchToken(id: string): void {
    const at = this.#now();
    const record = this.#db.data.apiTokens.find((token) => token.id === id);
    if (record?.lastUsedAt && at - Date.parse(record.lastUsedAt) < TOKEN_TOUCH_MS) return;
    this.#db.mutateLazy((data) => {
      const kept = data.apiTokens.find((token) => token.id === id);
      if (kept) kept.lastUsedAt = isoTime(at);
    });
  }
}

function findInvite(data: Readonly<Data>, tokenHash: string, at: number): InviteRecord {
  const invite = data.invites.find((candidate) => candidate.tokenHash === tokenHash);
  if (!invite) {
    throw new BerthError(
      'UNAUTHORIZED',
      'this invite link is not valid; ask the owner for a new one',
    );
  }
  if (invite.usedAt) {
    throw new BerthError(
      'UNAUTHORIZED',
      'this invite link was already used; ask the owner for a new one',
    );
  }
  if (Date.parse(invite.expiresAt) <= at) {
    throw new BerthError(
      'UNAUTHORIZED',
      'this invite link has expired (links work for 72 hours); ask the owner for a new one',
    );
  }
  return invite as InviteRecord;
}
