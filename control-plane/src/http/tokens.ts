import { createTokenBodySchema, type ApiToken } from '@berth/protocol';
import { randomBytes } from 'node:crypto';
import { Hono } from 'hono';
import { API_TOKEN_PREFIX, principalOf } from './access-control.js';
import { canSee } from '../auth/permissions.js';
import { sha256Hex } from '../crypto.js';
import type { AccessRecords } from '../store/access.js';
import type { ApiTokenRecord } from '../store/records.js';
import type { Store } from '../store/store.js';
import { invalidFields, readBody } from './body.js';

export function tokenView(record: ApiTokenRecord): ApiToken {
  const { tokenHash: _hash, userId: _user, ...view } = record;
  return view;
}

/**
 * Personal API tokens: scoped (`read`, `deploy`, `admin`), optionally to one project, optionally
 * expiring. The token is shown once, in the answer that creates it; only its hash is kept.
 * A token acts for its user and never beyond the user's own roles.
 */
export function tokenRoutes(deps: { access: AccessRecords; store: Store }): Hono {
  const { access, store } = deps;
  const app = new Hono();

  app.get('/tokens', (c) => c.json(access.tokensOf(principalOf(c).user.id).map(tokenView)));

  app.post('/tokens', async (c) => {
    const principal = principalOf(c);
    const body = await readBody(c, createTokenBodySchema);
    if (
      body.projectId !== undefined &&
      (!store.projects.get(body.projectId) || !canSee(principal, body.projectId))
    ) {
      throw invalidFields([
        { path: 'projectId', message: `no project "${body.projectId}" you can see` },
      ]);
    }
    // 256 random bits; a hash without salt is enough for a secret this long.
    const token = `${API_TOKEN_PREFIX}${randomBytes(32).toString('base64url')}`;
    const record = await access.createToken({
      userId: principal.user.id,
      name: body.name,
      tokenHash: sha256Hex(token),
      scopes: body.scopes,
      projectId: body.projectId,
      expiresInDays: body.expiresInDays,
    });
    return c.json({ ...tokenView(record), token }, 201);
  });

  app.delete('/tokens/:id', async (c) => {
    await access.revokeToken(c.req.param('id'), principalOf(c).user.id);
    return c.body(null, 204);
  });

  return app;
}
