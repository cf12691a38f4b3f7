import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AgentError } from '../errors.js';
import { createCaddyAdmin } from './caddy-admin.js';

describe('createCaddyAdmin', () => {
  let dir: string;
  let server: Server | undefined;
  const seen: { method?: string; url?: string; headers: IncomingHttpHeaders; body: string }[] = [];

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'berth-caddy-admin-'));
    seen.length = 0;
  });
  afterEach(async () => {
    await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
    server = undefined;
    await rm(dir, { recursive: true, force: true });
  });

  /** A stand-in for Caddy's admin socket that refuses any Host header but an empty one. */
  async function listen(answer: (body: string) => [number, string]): Promise<string> {
    const socketPath = join(dir, 'admin.sock');
    server = createServer((req, res) => {
      let body = '';
      req.on('data', (chunk: Buffer) => (body += chunk.toString()));
      req.on('end', () => {
        seen.push({ method: req.method, url: req.url, headers: req.headers, body });
        const [status, text] =
          req.headers.host === '' ? answer(body) : [403, '{"error":"host not allowed: localhost"}'];
        res.writeHead(status, { 'content-type': 'application/json' }).end(text);
      });
    });
    await new Promise<void>((resolve) => server!.listen(socketPath, resolve));
    return socketPath;
  }

  it('posts the whole configuration to /load with an empty Host header', async () => {
    const admin = createCaddyAdmin(await listen(() => [200, '']));
    await admin.load('{"apps":{}}');
    expect(seen).toEqual([
      expect.objectContaining({ method: 'POST', url: '/load', body: '{"apps":{}}' }),
    ]);
    expect(seen[0]!.headers).toMatchObject({ host: '', 'content-type': 'application/json' });
    expect(seen[0]!.headers['cache-control']).toBeUndefined();
    await admin.load('{"apps":{}}', { force: true });
    expect(seen[1]!.headers['cache-control']).toBe('must-revalidate');
  });

  it("says why Caddy refused a configuration, in Caddy's words", async () => {
    const admin = createCaddyAdmin(
      await listen(() => [400, '{"error":"loading config: unknown module"}']),
    );
    await expect(admin.load('{}')).rejects.toThrow(
      'the proxy refused its configuration (HTTP 400): loading config: unknown module',
    );
  });

  it('fails as retryable while the socket is not there yet', async () => {
    const admin = createCaddyAdmin(join(dir, 'missing.sock'));
    const err: unknown = await admin.load('{}').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AgentError);
    expect((err as AgentError).retryable).toBe(true);
    expect((err as AgentError).message).toMatch(/cannot reach the proxy's admin socket/);
  });
});
