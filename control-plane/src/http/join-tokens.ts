import { createJoinTokenBodySchema, type JoinTokenResponse } from '@berth/protocol';
import { Hono } from 'hono';
import { randomToken, sha256Hex } from '../crypto.js';
import { readBody } from './body.js';
import type { AppDeps } from './deps.js';
import { publicUrlOf } from './public-url.js';

export function joinTokenRoutes(deps: AppDeps): Hono {
  const app = new Hono();

  app.post('/join-tokens', async (c) => {
    const body = await readBody(c, createJoinTokenBodySchema);
    const token = randomToken();
    // Only the hash is stored; the token is shown once, here.
    const record = await deps.store.joinTokens.create({
      tokenHash: sha256Hex(token),
      ttlSeconds: body.ttlSeconds,
      now: deps.now(),
    });
    const url = publicUrlOf(c, deps.publicUrl);
    const answer: JoinTokenResponse = {
      token,
      expiresAt: record.expiresAt,
      installCommand: `curl -fsSL ${url}/install.sh | sudo bash -s -- --token ${token}`,
    };
    return c.json(answer, 201);
  });

  return app;
}
