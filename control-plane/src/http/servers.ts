import { CLOSE_CODES, listServersQuerySchema } from '@berth/protocol';
import { Hono } from 'hono';
import { notFound } from '../errors.js';
import { parseQuery } from './body.js';
import type { AppDeps } from './deps.js';
import { serverView } from './views.js';

export function serverRoutes(deps: AppDeps): Hono {
  const app = new Hono();

  const latestAgentVersion = async () => (await deps.agentRelease.manifest())?.version ?? null;

  // Always the contract's plain array, at most `limit` servers (1000 by default, the most); when
  // more follow, `X-Next-Cursor` and a `Link: rel="next"` header say where the next page starts.
  app.get('/servers', async (c) => {
    const query = parseQuery(c, listServersQuerySchema);
    const page = deps.store.servers.page(query);
    if (page.nextCursor !== null) {
      const next = new URLSearchParams({ limit: String(query.limit), cursor: page.nextCursor });
      if (query.status) next.set('status', query.status);
      c.header('X-Next-Cursor', page.nextCursor);
      c.header('Link', `</api/v1/servers?${next.toString()}>; rel="next"`);
    }
    const latest = await latestAgentVersion();
    return c.json(
      page.items.map((server) => serverView(server, latest, deps.store.proxies.proxyOf(server.id))),
    );
  });

  app.get('/servers/:id', async (c) => {
    const server = deps.store.servers.get(c.req.param('id'));
    if (!server) throw notFound('server', c.req.param('id'));
    const proxy = deps.store.proxies.proxyOf(server.id);
    return c.json(serverView(server, await latestAgentVersion(), proxy));
  });

  app.delete('/servers/:id', async (c) => {
    const id = c.req.param('id');
    if (!(await deps.store.servers.revoke(id))) throw notFound('server', id);
    deps.store.proxies.forget(id);
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
