import { CLOSE_CODES } from '@berth/protocol';
import { Hono } from 'hono';
import { notFound } from '../errors.js';
import type { AppDeps } from './deps.js';
import { serverView } from './views.js';

export function serverRoutes(deps: AppDeps): Hono {
  const app = new Hono();

  const latestAgentVersion = async () => (await deps.agentRelease.manifest())?.version ?? null;

  app.get('/servers', async (c) => {
    const latest = await latestAgentVersion();
    return c.json(deps.store.servers.list().map((server) => serverView(server, latest)));
  });

  app.get('/servers/:id', async (c) => {
    const server = deps.store.servers.get(c.req.param('id'));
    if (!server) throw notFound('server', c.req.param('id'));
    return c.json(serverView(server, await latestAgentVersion()));
  });

  app.delete('/servers/:id', async (c) => {
    const id = c.req.param('id');
    if (!(await deps.store.servers.revoke(id))) throw notFound('server', id);
    deps.sessions.disconnect(
      id,
      CLOSE_CODES.revoked,
      'this server was deleted; enroll the agent again with a new join token',
    );
    deps.log.info(`server ${id} deleted; its agent identity is revoked`);
    return c.body(null, 204);
  });

  return app;
}
