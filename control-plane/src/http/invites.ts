import { createInviteBodySchema, type Invite } from '@berth/protocol';
import { Hono } from 'hono';
import { principalOf } from './access-control.js';
import { randomToken, sha256Hex } from '../crypto.js';
import { invalidFields, readBody } from './body.js';
import type { AccessRecords } from '../store/access.js';
import type { InviteRecord } from '../store/records.js';
import type { Store } from '../store/store.js';
import { publicUrlOf } from './public-url.js';

export function inviteView(record: InviteRecord): Invite {
  const { tokenHash: _hash, createdBy: _by, usedBy: _used, ...view } = record;
  return view;
}

/**
 * Invites (owner only): a one-time link that works for 72 hours, shown to the owner to pass on
 * (there is no mail server). Only the hash of its token is kept.
 */
export function inviteRoutes(deps: {
  access: AccessRecords;
  store: Store;
  publicUrl: string | undefined;
}): Hono {
  const { access, store } = deps;
  const app = new Hono();

  app.get('/invites', (c) => c.json(access.invites().map(inviteView)));

  app.post('/invites', async (c) => {
    const body = await readBody(c, createInviteBodySchema);
    const unknown = Object.keys(body.projects).filter(
      (id) => id !== '*' && !store.projects.get(id),
    );
    if (unknown.length > 0) {
      throw invalidFields(
        unknown.map((id) => ({ path: `projects.${id}`, message: 'no such project' })),
      );
    }
    const token = randomToken();
    const record = await access.createInvite({
      tokenHash: sha256Hex(token),
      projects: body.projects,
      note: body.note,
      createdBy: principalOf(c).user.id,
    });
    const url = `${publicUrlOf(c, deps.publicUrl)}/#/invite/${token}`;
    return c.json({ ...inviteView(record), url, token }, 201);
  });

  app.delete('/invites/:id', async (c) => {
    await access.deleteInvite(c.req.param('id'));
    return c.body(null, 204);
  });

  return app;
}
