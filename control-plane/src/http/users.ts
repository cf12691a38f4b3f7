import {
  changePasswordBodySchema,
  patchUserBodySchema,
  totpCodeBodySchema,
  type User,
} from '@berth/protocol';
import { Hono } from 'hono';
import { principalOf } from './access-control.js';
import { hashPassword, verifyPassword } from '../auth/passwords.js';
import { newRecoveryCodes, recoveryCodeHash } from '../auth/second-factor.js';
import { matchTotp, newTotpSecret, otpauthUri } from '../auth/totp.js';
import type { Now } from '../clock.js';
import { BerthError } from '../errors.js';
import type { AccessRecords } from '../store/access.js';
import type { UserRecord } from '../store/records.js';
import { readBody } from './body.js';
import type { DashboardSessions } from './session.js';

export interface UserDeps {
  access: AccessRecords;
  sessions: DashboardSessions;
  now: Now;
}

/** A user as the API shows it: never a hash or a second-factor secret. */
export function userView(record: UserRecord): User {
  return {
    id: record.id,
    name: record.name,
    role: record.role,
    projects: record.projects,
    totpEnabled: Boolean(record.totp?.secret),
    hasPassword: record.passwordHash !== undefined,
    disabled: record.disabled ?? false,
    createdAt: record.createdAt,
    ...(record.lastSignInAt ? { lastSignInAt: record.lastSignInAt } : {}),
  };
}

/**
 * Users (owner only: list, change roles, disable, remove) and the caller's own account
 * (`/users/me`: password and two-factor). Access control is done before these run.
 */
export function userRoutes(deps: UserDeps): Hono {
  const { access, sessions } = deps;
  const app = new Hono();

  app.get('/users', (c) => c.json(access.users().map(userView)));

  app.get('/users/me', (c) => c.json(userView(principalOf(c).user)));

  app.patch('/users/:id', async (c) => {
    const id = c.req.param('id');
    const patch = await readBody(c, patchUserBodySchema);
    const updated = await access.updateUser(id, (record) => {
      if (record.role === 'owner') {
        throw new BerthError(
          'CONFLICT',
          'the owner has every right already and cannot be disabled',
          {
            status: 409,
          },
        );
      }
      if (patch.projects) record.projects = patch.projects;
      if (patch.disabled !== undefined) record.disabled = patch.disabled;
    });
    // A disabled user is signed out at once; their tokens stop working with them.
    if (updated.disabled) sessions.deleteAll(updated.id);
    return c.json(userView(updated));
  });

  app.delete('/users/:id', async (c) => {
    const id = c.req.param('id');
    await access.deleteUser(id);
    sessions.deleteAll(id);
    return c.body(null, 204);
  });

  app.put('/users/me/password', async (c) => {
    const { user } = principalOf(c);
    const body = await readBody(c, changePasswordBodySchema);
    if (
      user.passwordHash !== undefined &&
      !(await verifyPassword(body.current ?? '', user.passwordHash))
    ) {
      throw new BerthError('FORBIDDEN', 'the current password is wrong');
    }
    const passwordHash = await hashPassword(body.password);
    const updated = await access.updateUser(user.id, (record) => {
      record.passwordHash = passwordHash;
    });
    return c.json(userView(updated));
  });

  // Two-factor: start (a new secret to scan), confirm with a code (then it is on, and the
  // recovery codes are shown once), or turn off with a current code.
  app.post('/users/me/totp', async (c) => {
    const { user } = principalOf(c);
    if (user.totp?.secret) {
      throw new BerthError('CONFLICT', 'two-factor is already on; turn it off first to change it', {
        status: 409,
      });
    }
    const secret = newTotpSecret();
    await access.updateUser(user.id, (record) => {
      record.totp = { pendingSecret: secret, recoveryCodeHashes: [] };
    });
    return c.json(
      { secret, otpauthUrl: otpauthUri({ secret, account: user.name, issuer: 'Berth' }) },
      201,
    );
  });

  app.post('/users/me/totp/confirm', async (c) => {
    const { user } = principalOf(c);
    const { code } = await readBody(c, totpCodeBodySchema);
    const pending = user.totp?.pendingSecret;
    if (!pending) {
      throw new BerthError('CONFLICT', 'start with POST /api/v1/users/me/totp', { status: 409 });
    }
    const step = matchTotp(pending, code, deps.now());
    if (step === null)
      throw new BerthError('INVALID_INPUT', 'wrong code; check the time on the device');
    const codes = newRecoveryCodes();
    const updated = await access.updateUser(user.id, (record) => {
      record.totp = {
        secret: pending,
        lastStep: step,
        recoveryCodeHashes: codes.map(recoveryCodeHash),
      };
    });
    return c.json({ user: userView(updated), recoveryCodes: codes });
  });

  app.delete('/users/me/totp', async (c) => {
    const { user } = principalOf(c);
    const { code } = await readBody(c, totpCodeBodySchema);
    const secret = user.totp?.secret;
    if (!secret || matchTotp(secret, code, deps.now()) === null) {
      throw new BerthError('FORBIDDEN', 'wrong code: two-factor stays on');
    }
    const updated = await access.updateUser(user.id, (record) => {
      delete record.totp;
    });
    return c.json(userView(updated));
  });

  // "Sign out everywhere": every dashboard session of the caller ends, this one included.
  app.delete('/sessions', (c) => {
    const { user } = principalOf(c);
    return c.json({ signedOut: sessions.deleteAll(user.id, user.role === 'owner') });
  });

  return app;
}
