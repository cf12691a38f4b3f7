import {
  acceptInviteBodySchema,
  signInBodySchema,
  type Actor,
  type SignInBody,
} from '@berth/protocol';
import { Hono, type Context } from 'hono';
import { getCookie } from 'hono/cookie';
import { ANONYMOUS, ipOf, type AuditSink } from './audit-trail.js';
import { hashPassword, verifyPassword } from '../auth/passwords.js';
import type { SignInLimiter } from '../auth/sign-in-limiter.js';
import { checkSecondFactor } from '../auth/second-factor.js';
import { isoTime, type Now } from '../clock.js';
import { secretsEqual, sha256Hex } from '../crypto.js';
import { BerthError } from '../errors.js';
import type { AccessRecords } from '../store/access.js';
import type { UserRecord } from '../store/records.js';
import { readBody } from './body.js';
import {
  checkCsrf,
  clearSessionCookie,
  SESSION_COOKIE,
  sessionOf,
  setSessionCookie,
  type DashboardSessions,
} from './session.js';
import { userView } from './users.js';

export interface SignInDeps {
  adminToken: string;
  sessions: DashboardSessions;
  access: AccessRecords;
  limiter: SignInLimiter;
  audit: AuditSink;
  now: Now;
}

/**
 * Dashboard sign-in: `POST /session` takes a user name and password (and a two-factor code once
 * it is on), or the admin token, the owner's break-glass credential. It sets an HttpOnly,
 * SameSite=Strict cookie (Secure over https) and answers the CSRF token and the user.
 * `GET /session` says whether the browser is signed in; `DELETE /session` signs out;
 * `POST /invites/accept` makes an invited user and signs them in.
 */
export function signInRoutes(deps: SignInDeps): Hono {
  const { sessions, access, limiter, audit } = deps;
  const app = new Hono();
  // Session answers carry a CSRF token: never store them.
  app.use('*', async (c, next) => {
    await next();
    c.header('Cache-Control', 'no-store');
  });

  app.post('/session', async (c) => {
    const body = await readBody(c, signInBodySchema);
    const tried = 'token' in body ? 'admin token' : body.name.toLowerCase();
    const keys = [`ip:${ipOf(c).ip ?? 'unknown'}`, `user:${tried}`];
    const attempt = (outcome: 'success' | 'failure' | 'denied', actor: Actor, detail?: string) =>
      audit.record({
        actor,
        action: 'session.sign-in',
        ...ipOf(c),
        outcome,
        ...(detail ? { detail } : {}),
      });
    const waitMs = limiter.retryAfterMs(keys);
    if (waitMs > 0) {
      attempt('denied', { type: 'anonymous', name: tried }, 'too many failed sign-ins');
      throw tooManyAttempts(c, waitMs);
    }
    const user = await check(deps, body);
    if (!user) {
      limiter.fail(keys);
      attempt('failure', { type: 'anonymous', name: tried }, 'wrong name, password or token');
      throw new BerthError(
        'UNAUTHORIZED',
        'token' in body
          ? 'wrong admin token; use BERTH_ADMIN_TOKEN, or the token in $BERTH_DATA_DIR/admin-token printed at first start'
          : 'wrong user name or password',
      );
    }
    if (!('token' in body) && user.totp?.secret) {
      const second = await checkSecondFactor(access, user, body.code, deps.now());
      if (second === 'missing') {
        return c.json(
          {
            error: {
              code: 'UNAUTHORIZED',
              message: 'enter the 6-digit code from your authenticator app, or a recovery code',
            },
            secondFactor: true,
          },
          401,
        );
      }
      if (second === 'wrong') {
        limiter.fail(keys);
        attempt('failure', { type: 'user', id: user.id, name: user.name }, 'wrong two-factor code');
        throw new BerthError('UNAUTHORIZED', 'wrong or already used two-factor code');
      }
    }
    limiter.succeed(keys[1]!);
    const signedIn = await startSession(c, deps, user);
    attempt(
      'success',
      'token' in body
        ? { type: 'admin-token', id: user.id, name: user.name }
        : { type: 'user', id: user.id, name: user.name },
    );
    return c.json(signedIn, 201);
  });

  app.get('/session', (c) => {
    const session = sessionOf(c, sessions);
    const user = session && (session.userId ? access.user(session.userId) : access.owner());
    if (!session || !user || user.disabled) return c.json({ signedIn: false });
    return c.json({ signedIn: true, csrfToken: session.csrfToken, user: userView(user) });
  });

  app.delete('/session', (c) => {
    const id = getCookie(c, SESSION_COOKIE);
    const session = sessions.lookup(id);
    if (session) {
      checkCsrf(c, session);
      sessions.delete(id);
      const user = session.userId ? access.user(session.userId) : access.owner();
      if (user) {
        audit.record({
          actor: { type: 'user', id: user.id, name: user.name },
          action: 'session.sign-out',
          ...ipOf(c),
          outcome: 'success',
        });
      }
    }
    clearSessionCookie(c);
    return c.body(null, 204);
  });

  app.post('/invites/accept', async (c) => {
    const body = await readBody(c, acceptInviteBodySchema);
    const keys = [`ip:${ipOf(c).ip ?? 'unknown'}`];
    const waitMs = limiter.retryAfterMs(keys);
    if (waitMs > 0) throw tooManyAttempts(c, waitMs);
    let user: UserRecord;
    try {
      user = await access.acceptInvite({
        tokenHash: sha256Hex(body.token),
        name: body.name,
        passwordHash: await hashPassword(body.password),
      });
    } catch (err) {
      if (err instanceof BerthError && err.code === 'UNAUTHORIZED') limiter.fail(keys);
      audit.record({
        actor: { ...ANONYMOUS, name: body.name },
        action: 'invite.accept',
        ...ipOf(c),
        outcome: 'failure',
        detail: err instanceof Error ? err.message : String(err),
      });
      throw err;
    }
    audit.record({
      actor: { type: 'user', id: user.id, name: user.name },
      action: 'invite.accept',
      target: { type: 'user', id: user.id },
      ...ipOf(c),
      outcome: 'success',
    });
    return c.json(await startSession(c, deps, user), 201);
  });

  return app;
}

/** The user a sign-in names, when its secret is right; undefined otherwise. */
async function check(deps: SignInDeps, body: SignInBody): Promise<UserRecord | undefined> {
  if ('token' in body) {
    return secretsEqual(body.token, deps.adminToken) ? deps.access.owner() : undefined;
  }
  const user = deps.access.userByName(body.name);
  // An unknown user costs a password check too, so timing does not tell which names exist.
  const ok = await verifyPassword(body.password, user?.passwordHash);
  return ok && user && !user.disabled ? user : undefined;
}

async function startSession(c: Context, deps: SignInDeps, user: UserRecord) {
  // A sign-in replaces the session the browser already had.
  deps.sessions.delete(getCookie(c, SESSION_COOKIE));
  const { id, csrfToken, saved } = deps.sessions.create(user.id);
  await saved;
  const updated = await deps.access.updateUser(user.id, (record) => {
    record.lastSignInAt = isoTime(deps.now());
  });
  setSessionCookie(c, id);
  return { csrfToken, user: userView(updated) };
}

function tooManyAttempts(c: Context, waitMs: number): BerthError {
  const seconds = Math.ceil(waitMs / 1000);
  c.header('Retry-After', String(seconds));
  return new BerthError(
    'RATE_LIMITED',
    `too many failed sign-ins from here or for this account; try again in ${seconds} s`,
  );
}
