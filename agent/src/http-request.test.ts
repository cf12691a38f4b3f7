import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { httpRequest } from './http-request.js';

let server: Server | undefined;

async function serve(handler: Parameters<typeof createServer>[1]): Promise<URL> {
  server = createServer(handler);
  await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
  return new URL(`http://127.0.0.1:${(server.address() as AddressInfo).port}/`);
}

afterEach(() => {
  server?.closeAllConnections();
  server?.close();
  server = undefined;
});

describe('httpRequest', () => {
  it('sends a body and reads the answer', async () => {
    const url = await serve((req, res) => {
      let body = '';
      req.on('data', (chunk: Buffer) => (body += chunk.toString()));
      req.on('end', () => {
        res.statusCode = 201;
        res.end(JSON.stringify({ method: req.method, type: req.headers['content-type'], body }));
      });
    });
    const answer = await httpRequest(new URL('/enroll', url), {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"name":"é"}',
      timeoutMs: 2_000,
      readBody: true,
    });
    expect(answer.status).toBe(201);
    expect(JSON.parse(answer.body)).toEqual({
      method: 'POST',
      type: 'application/json',
      body: '{"name":"é"}',
    });
  });

  it('returns a redirect as it is, without following it', async () => {
    const url = await serve((_req, res) => {
      res.writeHead(302, { location: 'http://127.0.0.1:1/' });
      res.end();
    });
    expect(await httpRequest(url, { timeoutMs: 2_000 })).toEqual({ status: 302, body: '' });
  });

  it('rejects when no answer comes within the timeout', async () => {
    const url = await serve(() => undefined);
    await expect(httpRequest(url, { timeoutMs: 100 })).rejects.toThrow(/timeout/i);
  });

  it('rejects when nothing listens', async () => {
    const url = await serve(() => undefined);
    server!.close();
    await expect(httpRequest(url, { timeoutMs: 2_000 })).rejects.toThrow(/ECONNREFUSED/);
  });
});
