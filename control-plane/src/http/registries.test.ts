import { describe, expect, it } from 'vitest';
import { createTestApp } from './testing.js';

const SECRET = 'hunter2-very-secret';

describe('registry credentials', () => {
  it('adds, lists, changes and removes a credential without ever answering its password', async () => {
    const { call, store } = await createTestApp();
    const created = await call('POST', '/api/v1/registries', {
      body: { host: 'Registry.Example.com:5000', username: 'ci', password: SECRET },
    });
    expect(created.status).toBe(201);
    expect(created.json).toEqual({
      id: expect.stringMatching(/^reg_/),
      host: 'registry.example.com:5000',
      username: 'ci',
    });
    const id = created.json.id as string;
    const listed = await call('GET', '/api/v1/registries');
    expect(listed.json).toEqual([created.json]);

    const changed = await call('PATCH', `/api/v1/registries/${id}`, {
      body: { password: 'another-secret' },
    });
    expect(changed.status).toBe(200);
    expect(changed.json).toEqual(created.json);
    expect(store.registries.get(id)?.password).toBe('another-secret');

    for (const res of [created, listed, changed]) expect(res.text).not.toContain('secret');

    expect((await call('DELETE', `/api/v1/registries/${id}`)).status).toBe(204);
    expect((await call('GET', '/api/v1/registries')).json).toEqual([]);
    expect((await call('DELETE', `/api/v1/registries/${id}`)).status).toBe(404);
    expect(
      (await call('PATCH', `/api/v1/registries/${id}`, { body: { password: 'x' } })).status,
    ).toBe(404);
  });

  it('keeps one credential per host: a second one is a 409 that leaves the first as it was', async () => {
    const { call, store } = await createTestApp();
    const body = { host: 'ghcr.io', username: 'a', password: 'first' };
    const first = await call('POST', '/api/v1/registries', { body });
    const second = await call('POST', '/api/v1/registries', {
      body: { ...body, host: 'GHCR.IO', password: 'second' },
    });
    expect(second.status).toBe(409);
    expect(second.json.error).toMatchObject({ code: 'CONFLICT' });
    expect(second.json.error.message).toContain(first.json.id);
    expect(store.registries.list().map((r) => r.password)).toEqual(['first']);
  });

  it('names each bad field of a credential', async () => {
    const { call } = await createTestApp();
    const res = await call('POST', '/api/v1/registries', {
      body: { host: 'https://registry.example.com/v2', username: 'a:b' },
    });
    expect(res.status).toBe(400);
    expect(res.json.error.fields.map((f: { path: string }) => f.path).sort()).toEqual([
      'host',
      'password',
      'username',
    ]);
    expect(res.json.error.message).toContain('host: must be a registry host');
    const created = await call('POST', '/api/v1/registries', {
      body: { host: 'r.example.com', username: 'u', password: 'p' },
    });
    const empty = await call('PATCH', `/api/v1/registries/${created.json.id}`, { body: {} });
    expect(empty.status).toBe(400);
    expect(empty.json.error.message).toContain('give a new "password"');
  });

  it('needs the admin token', async () => {
    const { call } = await createTestApp();
    expect((await call('GET', '/api/v1/registries', { token: null })).status).toBe(401);
  });
});
