import { createEnvironmentBodySchema, createProjectBodySchema } from '@berth/protocol';
import { Hono } from 'hono';
import { principalOf } from './access-control.js';
import { canSee } from '../auth/permissions.js';
import { notFound } from '../errors.js';
import { invalidFields, readBody } from './body.js';
import type { AppDeps } from './deps.js';
import { environmentView, projectView } from './views.js';

export function projectRoutes(deps: AppDeps): Hono {
  const app = new Hono();
  const { store } = deps;

  app.post('/projects', async (c) => {
    const body = await readBody(c, createProjectBodySchema);
    return c.json(projectView(await store.projects.create(body)), 201);
  });

  // Only the projects the caller may see.
  app.get('/projects', (c) => {
    const principal = principalOf(c);
    return c.json(
      store.projects
        .list()
        .filter((project) => canSee(principal, project.id))
        .map(projectView),
    );
  });

  app.get('/projects/:id', (c) => {
    const project = store.projects.get(c.req.param('id'));
    if (!project) throw notFound('project', c.req.param('id'));
    return c.json(projectView(project));
  });

  app.post('/projects/:id/environments', async (c) => {
    const project = store.projects.get(c.req.param('id'));
    if (!project) throw notFound('project', c.req.param('id'));
    const body = await readBody(c, createEnvironmentBodySchema);
    if (!store.servers.get(body.serverId)) {
      throw invalidFields([
        {
          path: 'serverId',
          message: `no server "${body.serverId}"; list servers with GET /api/v1/servers`,
        },
      ]);
    }
    const environment = await store.environments.create({ projectId: project.id, ...body });
    return c.json(environmentView(environment), 201);
  });

  app.get('/projects/:id/environments', (c) => {
    const project = store.projects.get(c.req.param('id'));
    if (!project) throw notFound('project', c.req.param('id'));
    return c.json(store.environments.listByProject(project.id).map(environmentView));
  });

  return app;
}
