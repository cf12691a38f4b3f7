import { describe, expect, it } from 'vitest';
import { createTestApp } from './testing.js';

describe('servers', () => {
  it('lists and shows servers without their public key', async () => {
    const { call, addServer } = await createTestApp();
    await addServer('srv_a');
    const one = await call('GET', '/api/v1/servers/srv_a');
    expect(one.status).toBe(200);
    expect(Object.keys(one.json).sort()).toEqual(
      ['agentVersion', 'docker', 'id', 'lastSeenAt', 'name', 'outdated', 'status'].sort(),
    );
    expect((await call('GET', '/api/v1/servers')).json).toHaveLength(1);
    const missing = await call('GET', '/api/v1/servers/srv_missing');
    expect(missing.status).toBe(404);
    expect(missing.json.error).toEqual({
      code: 'NOT_FOUND',
      message: 'server "srv_missing" not found',
    });
  });

  it('pages with limit and cursor, filters by status, and refuses bad paging input', async () => {
    const { call, addServer, store, clock } = await createTestApp();
    for (const id of ['srv_a', 'srv_b', 'srv_c']) {
      await addServer(id);
      clock.advance(1);
    }
    await store.servers.markOnline('srv_b', { agentVersion: '0.1.0', docker: null });
    const first = await call('GET', '/api/v1/servers?limit=2');
    expect(first.json.map((s: { id: string }) => s.id)).toEqual(['srv_a', 'srv_b']);
    const cursor = first.headers.get('x-next-cursor');
    expect(first.headers.get('link')).toContain('rel="next"');
    const second = await call('GET', `/api/v1/servers?limit=2&cursor=${cursor}`);
    expect(second.json.map((s: { id: string }) => s.id)).toEqual(['srv_c']);
    expect(second.headers.get('x-next-cursor')).toBeNull();
    const online = await call('GET', '/api/v1/servers?status=online');
    expect(online.json).toMatchObject([{ id: 'srv_b', status: 'online' }]);
    for (const bad of ['limit=0', 'limit=1001', 'status=asleep', 'cursor=x%2Fy', 'colour=red']) {
      const res = await call('GET', `/api/v1/servers?${bad}`);
      expect(res.status, bad).toBe(400);
      expect(res.json.error.code).toBe('INVALID_INPUT');
    }
  });

  it('deletes a server, cuts its socket with 4403 and forgets it', async () => {
    const { call, addServer, disconnects, store } = await createTestApp();
    await addServer('srv_a');
    const res = await call('DELETE', '/api/v1/servers/srv_a');
    expect(res.status).toBe(204);
    expect(res.text).toBe('');
    expect(disconnects).toEqual([
      { serverId: 'srv_a', closeCode: 4403, reason: expect.stringContaining('deleted') },
    ]);
    expect(store.servers.isRevoked('srv_a')).toBe(true);
    expect((await call('GET', '/api/v1/servers/srv_a')).status).toBe(404);
    expect((await call('DELETE', '/api/v1/servers/srv_a')).status).toBe(404);
  });
});
