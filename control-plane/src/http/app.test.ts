import { Agent as HttpAgent, request } from 'node:http';
import { describe, expect, it } from 'vitest';
import { closeHttpServer, createHttpServer, listen } from './listen.js';
import { TEST_ADMIN_TOKEN, createTestApp } from './testing.js';

describe('admin auth', () => {
  it('answers 401 JSON to /api calls without a valid bearer token', async () => {
    const { call } = await createTestApp();
    for (const headers of [
      {} as Record<string, string>,
      { authorization: 'Bearer wrong' },
      { authorization: `Basic ${TEST_ADMIN_TOKEN}` },
    ]) {
      const res = await call('GET', '/api/v1/projects', { token: null, headers });
      expect(res.status).toBe(401);
      expect(res.json.error.code).toBe('UNAUTHORIZED');
      expect(res.json.error.message).toContain('Authorization: Bearer');
      expect(res.headers.get('www-authenticate')).toBe('Bearer');
    }
    const unknown = await call('GET', '/api/v1/nothing-here', { token: null });
    expect(unknown.status).toBe(401);
    expect((await call('GET', '/api/v1/projects')).status).toBe(200);
  });

  it('accepts a token that differs only in length as wrong', async () => {
    const { call } = await createTestApp();
    const res = await call('GET', '/api/v1/projects', { token: `${TEST_ADMIN_TOKEN}x` });
    expect(res.status).toBe(401);
  });
});

describe('errors and system routes', () => {
  it('answers unknown routes with a 404 JSON error', async () => {
    const { call } = await createTestApp();
    const res = await call('GET', '/api/v1/teleporters');
    expect(res.status).toBe(404);
    expect(res.json).toEqual({
      error: { code: 'NOT_FOUND', message: 'no route for GET /api/v1/teleporters' },
    });
    expect((await call('GET', '/nope', { token: null })).json.error.code).toBe('NOT_FOUND');
  });

  it('answers a body that is not JSON with 400', async () => {
    const { call } = await createTestApp();
    const res = await call('POST', '/api/v1/projects', { body: '{"name":' });
    expect(res.status).toBe(400);
    expect(res.json.error).toEqual({
      code: 'INVALID_INPUT',
      message: 'the request body is not valid JSON',
    });
  });

  it('serves /healthz and /metrics without auth, and metrics hold no secrets', async () => {
    const { call } = await createTestApp();
    expect((await call('GET', '/healthz', { token: null })).status).toBe(200);
    await call('GET', '/api/v1/projects', { token: null });
    const metrics = await call('GET', '/metrics', { token: null });
    expect(metrics.status).toBe(200);
    expect(metrics.headers.get('content-type')).toContain('text/plain');
    expect(metrics.text).toContain('berth_http_requests_total{method="GET",status="401"} 1');
    expect(metrics.text).not.toContain(TEST_ADMIN_TOKEN);
  });
});

describe('a body over the limit', () => {
  /** One request through a keep-alive pool of one socket, as an HTTP client library does. */
  function send(
    agent: HttpAgent,
    port: number,
    path: string,
    body?: string,
  ): Promise<{ status: number; connection: string | undefined; text: string }> {
    return new Promise((resolve, reject) => {
      const req = request(
        {
          agent,
          host: '127.0.0.1',
          port,
          path,
          method: body === undefined ? 'GET' : 'POST',
          headers: {
            authorization: `Bearer ${TEST_ADMIN_TOKEN}`,
            ...(body === undefined ? {} : { 'content-type': 'application/json' }),
          },
        },
        (res) => {
          let text = '';
          res.setEncoding('utf8');
          res.on('data', (chunk: string) => (text += chunk));
          res.on('end', () =>
            resolve({ status: res.statusCode ?? 0, connection: res.headers.connection, text }),
          );
        },
      );
      req.on('error', reject);
      req.end(body);
    });
  }

  it('is refused with 413, and the same client goes on working', async () => {
    const { app } = await createTestApp();
    const server = createHttpServer(app);
    const port = await listen(server, 0, '127.0.0.1');
    const agent = new HttpAgent({ keepAlive: true, maxSockets: 1 });
    try {
      const big = await send(
        agent,
        port,
        '/api/v1/projects',
        JSON.stringify({ name: 'x'.repeat(2 * 1024 * 1024) }),
      );
      expect(big.status).toBe(413);
      expect(big.text).toContain('exceeds');
      expect(big.connection).toBe('close');
      const failures: string[] = [];
      for (let i = 0; i < 30; i += 1) {
        const res = await send(agent, port, '/healthz').catch((err: Error) => ({
          status: `${err.message}`,
        }));
        if (res.status !== 200) failures.push(`request ${i + 1}: ${res.status}`);
      }
      expect(failures).toEqual([]);
    } finally {
      agent.destroy();
      await closeHttpServer(server);
    }
  });
});
