import { createHash } from 'node:crypto';
import type { Context } from 'hono';
import { deleteCookie, getCookie, setCookie } from 'hono/cookie';
import type { Now } from '../clock.js';
import { randomToken, secretsEqual, sha256Hex } from '../crypto.js';
import { BerthError } from '../errors.js';
import type { SessionStore } from '../store/sessions.js';

export const SESSION_COOKIE = 'berth_session';
export const CSRF_HEADER = 'x-csrf-token';

/** A session ends after this long without a request, in milliseconds. */
const IDLE_TTL_MS = 12 * 60 * 60_000;
/** …and this long after sign-in, whatever happens, in milliseconds. */
const ABSOLUTE_TTL_MS = 7 * 24 * 60 * 60_000;
/** Oldest sessions are dropped past this many, so sign-ins cannot grow memory without bound. */
const MAX_SESSIONS = 1_000;
/** A session's idle timer is written down at most this often (it moves on in memory at once). */
const TOUCH_WRITE_MS = 60_000;

export interface SessionEntry {
  /** Who signed in; sessions from before users belong to the owner. */
  userId?: string | undefined;
  createdAt: number;
  lastSeenAt: number;
  /** When lastSeenAt was last handed to the store. */
  savedSeenAt: number;
}

export interface DashboardSession {
  csrfToken: string;
  userId: string | undefined;
}

/**
 * A session's CSRF token, derived from its id: stored nowhere, the same after a restart, and
 * unknown to whoever holds only the stored hash of the id.
 */
export function csrfTokenOf(id: string): string {
  return createHash('sha256').update(`berth-csrf:${id}`).digest('base64url');
}

/**
 * Dashboard sign-ins. Only a hash of each session id is held, in memory and in the store
 * (db.json), so neither a heap dump nor a copy of the data dir can be replayed as a cookie.
 * With a store, sessions survive a restart of the control plane.
 */
export class DashboardSessions {
  readonly #byHash: Map<string, SessionEntry>;
  readonly #store: SessionStore | undefined;

  /** `byHash` is injectable so tests can see what is kept. */
  constructor(
    private readonly now: Now,
    options: { store?: SessionStore; byHash?: Map<string, SessionEntry> } = {},
  ) {
    this.#byHash = options.byHash ?? new Map<string, SessionEntry>();
    this.#store = options.store;
    const kept = this.#store?.load() ?? [];
    const at = this.now();
    const expired: string[] = [];
    for (const record of kept.sort((a, b) => a.createdAt - b.createdAt)) {
      if (isExpired(record, at)) expired.push(record.idHash);
      else this.#byHash.set(record.idHash, { ...record, savedSeenAt: record.lastSeenAt });
    }
    this.#store?.remove(expired);
  }

  /**
   * Starts a session; the id goes into the cookie, the CSRF token to the page. `saved` resolves
   * once the store has it, so that a session answered survives a crash right after.
   */
  create(userId: string): { id: string; csrfToken: string; saved: Promise<void> } {
    const id = randomToken();
    const idHash = sha256Hex(id);
    const at = this.now();
    this.#byHash.set(idHash, { userId, createdAt: at, lastSeenAt: at, savedSeenAt: at });
    const saved =
      this.#store?.add({ idHash, userId, createdAt: at, lastSeenAt: at }) ?? Promise.resolve();
    // Map order is insertion order: the first keys are the oldest sign-ins.
    const dropped: string[] = [];
    for (const key of this.#byHash.keys()) {
      if (this.#byHash.size <= MAX_SESSIONS) break;
      this.#byHash.delete(key);
      dropped.push(key);
    }
    this.#store?.remove(dropped);
    return { id, csrfToken: csrfTokenOf(id), saved };
  }

  /** The live session for a cookie value, touching its idle timer; undefined when unknown or expired. */
  lookup(id: string | undefined): DashboardSession | undefined {
    if (!id) return undefined;
    const key = sha256Hex(id);
    const entry = this.#byHash.get(key);
    if (!entry) return undefined;
    const at = this.now();
    if (isExpired(entry, at)) {
      this.#byHash.delete(key);
      this.#store?.remove([key]);
      return undefined;
    }
    entry.lastSeenAt = at;
    if (at - entry.savedSeenAt >= TOUCH_WRITE_MS) {
      entry.savedSeenAt = at;
      this.#store?.touch(key, at);
    }
    return { csrfToken: csrfTokenOf(id), userId: entry.userId };
  }

  delete(id: string | undefined): void {
    if (!id) return;
    const key = sha256Hex(id);
    this.#byHash.delete(key);
    this.#store?.remove([key]);
  }

  /**
   * Signs every browser of a user out ("Sign out everywhere"), or every browser of everyone
   * without a user; answers how many sessions ended. `isOwner` tells whose sessions from before
   * users (no user id) count as the owner's.
   */
  deleteAll(userId?: string, isOwner = false): number {
    const ended: string[] = [];
    for (const [key, entry] of this.#byHash) {
      const owner = entry.userId ?? (isOwner ? userId : undefined);
      if (userId === undefined || owner === userId) ended.push(key);
    }
    for (const key of ended) this.#byHash.delete(key);
    if (userId === undefined) this.#store?.removeAll();
    else this.#store?.remove(ended);
    return ended.length;
  }

  get size(): number {
    return this.#byHash.size;
  }
}

function isExpired(entry: { createdAt: number; lastSeenAt: number }, at: number): boolean {
  return at - entry.lastSeenAt > IDLE_TTL_MS || at - entry.createdAt > ABSOLUTE_TTL_MS;
}

/** Whether the browser reached us over https, directly or through a proxy that says so. */
export function isHttps(c: Context): boolean {
  const forwarded = c.req.header('x-forwarded-proto')?.split(',')[0]?.trim().toLowerCase();
  if (forwarded) return forwarded === 'https';
  return new URL(c.req.url).protocol === 'https:';
}

/** The session a request's cookie names, if any. */
export function sessionOf(c: Context, sessions: DashboardSessions): DashboardSession | undefined {
  return sessions.lookup(getCookie(c, SESSION_COOKIE));
}

/** Throws unless a cookie-authenticated change carries the session's CSRF token. */
export function checkCsrf(c: Context, session: DashboardSession): void {
  const method = c.req.method;
  if (method === 'GET' || method === 'HEAD' || method === 'OPTIONS') return;
  const sent = c.req.header(CSRF_HEADER);
  if (!sent || !secretsEqual(sent, session.csrfToken)) {
    throw new BerthError(
      'UNAUTHORIZED',
      `missing or wrong ${CSRF_HEADER} header: changes made with the dashboard session cookie must send the token from GET /session; reload the dashboard`,
      { status: 403 },
    );
  }
}

/** Sets the session cookie: HttpOnly, SameSite=Strict, and Secure over https. */
export function setSessionCookie(c: Context, id: string): void {
  setCookie(c, SESSION_COOKIE, id, {
    path: '/',
    httpOnly: true,
    sameSite: 'Strict',
    secure: isHttps(c),
  });
}

export function clearSessionCookie(c: Context): void {
  deleteCookie(c, SESSION_COOKIE, {
    path: '/',
    httpOnly: true,
    sameSite: 'Strict',
    secure: isHttps(c),
  });
}
