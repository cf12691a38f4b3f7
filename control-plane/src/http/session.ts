import { Hono, type Context } from 'hono';
import { deleteCookie, getCookie, setCookie } from 'hono/cookie';
import { z } from 'zod';
import type { Now } from '../clock.js';
import { randomToken, secretsEqual, sha256Hex } from '../crypto.js';
import { BerthError } from '../errors.js';
import { readBody } from './body.js';

export const SESSION_COOKIE = 'berth_session';
export const CSRF_HEADER = 'x-csrf-token';

/** A session ends after this long without a request, in milliseconds. */
const IDLE_TTL_MS = 12 * 60 * 60_000;
/** …and this long after sign-in, whatever happens, in milliseconds. */
const ABSOLUTE_TTL_MS = 7 * 24 * 60 * 60_000;
/** Oldest sessions are dropped past this many, so sign-ins cannot grow memory without bound. */
const MAX_SESSIONS = 1_000;

export interface SessionEntry {
  csrfToken: string;
  createdAt: number;
  lastSeenAt: number;
}

export interface DashboardSession {
  csrfToken: string;
}

/**
 * Dashboard sign-ins, kept in memory: a restart signs everyone out. Only a hash
 * of each session id is held, so a heap dump cannot be replayed as a cookie.
 */
export class DashboardSessions {
  readonly #byHash: Map<string, SessionEntry>;

  /** `byHash` is injectable so tests can see what is kept. */
  constructor(
    private readonly now: Now,
    byHash = new Map<string, SessionEntry>(),
  ) {
    this.#byHash = byHash;
  }

  /** Starts a session; the id goes into the cookie, the CSRF token to the page. */
  create(): { id: string; csrfToken: string } {
    const id = randomToken();
    const csrfToken = randomToken();
    const at = this.now();
    this.#byHash.set(sha256Hex(id), { csrfToken, createdAt: at, lastSeenAt: at });
    // Map order is insertion order: the first keys are the oldest sign-ins.
    for (const key of this.#byHash.keys()) {
      if (this.#byHash.size <= MAX_SESSIONS) break;
      this.#byHash.delete(key);
    }
    return { id, csrfToken };
  }

  /** The live session for a cookie value, touching its idle timer; undefined when unknown or expired. */
  lookup(id: string | undefined): DashboardSession | undefined {
    if (!id) return undefined;
    const key = sha256Hex(id);
    const entry = this.#byHash.get(key);
    if (!entry) return undefined;
    const at = this.now();
    if (at - entry.lastSeenAt > IDLE_TTL_MS || at - entry.createdAt > ABSOLUTE_TTL_MS) {
      this.#byHash.delete(key);
      return undefined;
    }
    entry.lastSeenAt = at;
    return { csrfToken: entry.csrfToken };
  }

  delete(id: string | undefined): void {
    if (id) this.#byHash.delete(sha256Hex(id));
  }

  get size(): number {
    return this.#byHash.size;
  }
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

const signInSchema = z.object({ token: z.string().min(1).max(1024) }).strict();

/**
 * Dashboard sign-in with the admin token: `POST /session` sets an HttpOnly,
 * SameSite=Strict cookie (Secure over https) and answers the CSRF token;
 * `GET /session` says whether the browser is signed in and, if so, answers the
 * token again; `DELETE /session` signs out.
 */
export function sessionRoutes(options: { adminToken: string; sessions: DashboardSessions }): Hono {
  const { adminToken, sessions } = options;
  const app = new Hono();
  // Session answers carry a CSRF token: never store them.
  app.use('/session', async (c, next) => {
    await next();
    c.header('Cache-Control', 'no-store');
  });

  app.post('/session', async (c) => {
    const body = await readBody(c, signInSchema);
    if (!secretsEqual(body.token, adminToken)) {
      throw new BerthError(
        'UNAUTHORIZED',
        'wrong admin token; use BERTH_ADMIN_TOKEN, or the token in $BERTH_DATA_DIR/admin-token printed at first start',
      );
    }
    // A sign-in replaces the session the browser already had.
    sessions.delete(getCookie(c, SESSION_COOKIE));
    const { id, csrfToken } = sessions.create();
    setCookie(c, SESSION_COOKIE, id, {
      path: '/',
      httpOnly: true,
      sameSite: 'Strict',
      secure: isHttps(c),
    });
    return c.json({ csrfToken }, 201);
  });

  app.get('/session', (c) => {
    const session = sessionOf(c, sessions);
    return c.json(session ? { signedIn: true, csrfToken: session.csrfToken } : { signedIn: false });
  });

  app.delete('/session', (c) => {
    const id = getCookie(c, SESSION_COOKIE);
    const session = sessions.lookup(id);
    if (session) {
      checkCsrf(c, session);
      sessions.delete(id);
    }
    deleteCookie(c, SESSION_COOKIE, {
      path: '/',
      httpOnly: true,
      sameSite: 'Strict',
      secure: isHttps(c),
    });
    return c.body(null, 204);
  });

  return app;
}
