import { describe, expect, it } from 'vitest';
import { createTestApp } from './testing.js';

describe('projects and environments', () => {
  it('creates, lists and shows projects', async () => {
    const { call } = await createTestApp();
    const created = await call('POST', '/api/v1/projects', { body: { name: 'Shop' } });
    expect(created.status).toBe(201);
    expect(created.json).toEqual({ id: expect.stringMatching(/^prj_/), name: 'Shop' });
    expect((await call('GET', '/api/v1/projects')).json).toEqual([created.json]);
    expect((await call('GET', `/api/v1/projects/${created.json.id}`)).json).toEqual(created.json);
    expect((await call('GET', '/api/v1/projects/prj_nope')).status).toBe(404);
  });

  it('names a missing or extra field', async () => {
    const { call } = await createTestApp();
    const res = await call('POST', '/api/v1/projects', { body: { name: '  ', color: 'red' } });
    expect(res.status).toBe(400);
    const paths = res.json.error.fields.map((field: { path: string }) => field.path);
    expect(paths).toContain('name');
    expect(res.json.error.message).toContain('name: must not be empty');
  });

  it('creates environments on an existing server only, naming serverId otherwise', async () => {
    const { call, addServer } = await createTestApp();
    await addServer('srv_a');
    const project = (await call('POST', '/api/v1/projects', { body: { name: 'Shop' } })).json;
    const bad = await call('POST', `/api/v1/projects/${project.id}/environments`, {
      body: { name: 'prod', serverId: 'srv_ghost' },
    });
    expect(bad.status).toBe(400);
    expect(bad.json.error.fields).toEqual([
      { path: 'serverId', message: expect.stringContaining('srv_ghost') },
    ]);
    expect(bad.json.error.message).toContain('serverId: no server "srv_ghost"');

    const env = await call('POST', `/api/v1/projects/${project.id}/environments`, {
      body: { name: 'prod', serverId: 'srv_a' },
    });
    expect(env.status).toBe(201);
    expect(env.json).toEqual({
      id: expect.stringMatching(/^env_/),
      projectId: project.id,
      name: 'prod',
      serverId: 'srv_a',
    });
    expect((await call('GET', `/api/v1/projects/${project.id}/environments`)).json).toEqual([
      env.json,
    ]);
    expect((await call('GET', `/api/v1/environments/${env.json.id}`)).json).toEqual(env.json);
    expect((await call('GET', '/api/v1/environments/env_nope')).status).toBe(404);
    expect(
      (
        await call('POST', '/api/v1/projects/prj_nope/environments', {
          body: { name: 'x', serverId: 'srv_a' },
        })
      ).status,
    ).toBe(404);
  });
});
