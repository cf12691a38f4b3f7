import { isoTime, type Now } from '../clock.js';
import { newId } from '../crypto.js';
import type { Database } from './database.js';
import type { Data, JoinTokenRecord } from './records.js';

export type RedeemFailure = 'invalid' | 'used' | 'expired';

// Spent and expired tokens are kept this long (for the "already used" answer), then dropped.
const KEEP_SPENT_MS = 7 * 24 * 3600 * 1000;

export class JoinTokenRecords {
  readonly #db: Database;

  constructor(db: Database) {
    this.#db = db;
  }

  create(options: {
    tokenHash: string;
    ttlSeconds: number;
    now: number;
  }): Promise<JoinTokenRecord> {
    const { tokenHash, ttlSeconds, now } = options;
    const record: JoinTokenRecord = {
      id: newId('jt'),
      tokenHash,
      createdAt: isoTime(now),
      expiresAt: isoTime(now + ttlSeconds * 1000),
    };
    return this.#db.mutate((data) => {
      data.joinTokens = data.joinTokens.filter(
        (token) => Date.parse(token.expiresAt) > now - KEEP_SPENT_MS,
      );
      data.joinTokens.push(record);
      return structuredClone(record);
    });
  }

  get(id: string): JoinTokenRecord | undefined {
    const record = this.#db.data.joinTokens.find((token) => token.id === id);
    return record && structuredClone(record);
  }
}

/**
 * Marks a token used, inside a store mutation, so no two callers can spend it. Returns why it
 * cannot be spent otherwise. Call only from within `Database.mutate`.
 */
export function redeemJoinToken(data: Data, tokenHash: string, now: Now): RedeemFailure | null {
  const token = data.joinTokens.find((candidate) => candidate.tokenHash === tokenHash);
  if (!token) return 'invalid';
  if (token.usedAt) return 'used';
  if (Date.parse(token.expiresAt) <= now()) return 'expired';
  token.usedAt = isoTime(now());
  return null;
}
