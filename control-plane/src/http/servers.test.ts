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
