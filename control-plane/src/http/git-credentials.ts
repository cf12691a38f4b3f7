import {
  createGitCredentialBodySchema,
  parseKnownHostLine,
  patchGitCredentialBodySchema,
  type GitCredential,
} from '@berth/protocol';
import { Hono } from 'hono';
import { keyFingerprint } from '../git/deploy-key.js';
import { notFound } from '../errors.js';
import type { GitCredentialRecord } from '../store/records.js';
import type { Store } from '../store/store.js';
import { readBody } from './body.js';
import type { AppDeps } from './deps.js';

/** A credential as the API shows it: the public key and host keys, never the secret. */
export function gitCredentialView(store: Store, record: GitCredentialRecord): GitCredential {
  const base = {
    id: record.id,
    ...(record.name === undefined ? {} : { name: record.name }),
    usedBy: store.gitCredentials.usedBy(record.id),
    createdAt: record.createdAt,
  };
  if (record.type === 'https') return { type: 'https', ...base, username: record.username };
  return {
    type: 'ssh',
    ...base,
    publicKey: record.publicKey,
    hostKeys: record.knownHosts.flatMap((known) => {
      const parsed = parseKnownHostLine(known.line);
      if (!parsed) return [];
      return [
        {
          host: parsed.hosts.join(','),
          keyType: parsed.keyType,
          fingerprint: keyFingerprint(parsed.key),
          origin: known.origin,
          addedAt: known.addedAt,
        },
      ];
    }),
  };
}

/** `/api/v1/git-credentials`: deploy keys and tokens for private repositories. */
export function gitCredentialRoutes(deps: AppDeps): Hono {
  const app = new Hono();
  const { store } = deps;
  const view = (record: GitCredentialRecord) => gitCredentialView(store, record);
  const credentialOr404 = (id: string) => {
    const record = store.gitCredentials.get(id);
    if (!record) throw notFound('git credential', id);
    return record;
  };

  app.post('/git-credentials', async (c) => {
    const body = await readBody(c, createGitCredentialBodySchema);
    return c.json(view(await store.gitCredentials.create(body)), 201);
  });

  app.get('/git-credentials', (c) => c.json(store.gitCredentials.list().map(view)));

  app.get('/git-credentials/:id', (c) => c.json(view(credentialOr404(c.req.param('id')))));

  app.patch('/git-credentials/:id', async (c) => {
    const id = c.req.param('id');
    credentialOr404(id);
    const patch = await readBody(c, patchGitCredentialBodySchema);
    return c.json(view(await store.gitCredentials.update(id, patch)));
  });

  app.delete('/git-credentials/:id', async (c) => {
    await store.gitCredentials.delete(c.req.param('id'));
    return c.body(null, 204);
  });

  return app;
}
