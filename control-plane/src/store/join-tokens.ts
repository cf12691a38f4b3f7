import { isoTime } from '../clock.js';
import { newId } from '../crypto.js';
import type { Database } from './database.js';
import type { Data, JoinTokenRecord } from './records.js';

export type RedeemFailure = 'invalid' | 'used' | 'expired';

/**
 * An expired token is kept this long after it expires, for the "expired" answer; a spent one keeps
 * only its hash (in the server journal) as long, for the "already used" answer. Then both are
 * unknown: nobody retries a token a day after it stopped working.
 */
export const KEEP_AFTER_EXPIRY_MS = 24 * 3600 * 1000;

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
        (token) => !token.usedAt && Date.parse(token.expiresAt) > now - KEEP_AFTER_EXPIRY_MS,
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

export type TokenCheck =
  { ok: true; token: JoinTokenRecord } | { ok: false; reason: RedeemFailure };

/**
 * Whether a token may be spent now. Only unspent tokens are in db.json, so the search is over the
 * few outstanding tokens, not every token ever used; `spent` holds the hashes of used ones.
 */
export function checkJoinToken(
  data: Readonly<Data>,
  spent: ReadonlyMap<string, number>,
  tokenHash: string,
  at: number,
): TokenCheck {
  if (spent.has(tokenHash)) return { ok: false, reason: 'used' };
  const token = data.joinTokens.find((candidate) => candidate.tokenHash === tokenHash);
  if (!token) return { ok: false, reason: 'invalid' };
  if (token.usedAt) return { ok: false, reason: 'used' };
  if (Date.parse(token.expiresAt) <= at) return { ok: false, reason: 'expired' };
  return { ok: true, token };
}

/** Until when (ms) the hash of a token spent now is kept. */
export function spentHashKeptUntil(token: JoinTokenRecord, at: number): number {
  return Math.max(Date.parse(token.expiresAt), at) + KEEP_AFTER_EXPIRY_MS;
}
