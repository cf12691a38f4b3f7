import { createHash, generateKeyPairSync, verify } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Readable } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { parseAgentAuthorization, requestSigningPayload } from '@berth/protocol';
import { isRetryable } from '../errors.js';
import { createBackupTransfer } from './backup-transfer.js';

const keys = generateKeyPairSync('ed25519');
const identity = { agentId: 'agt_1', privateKey: keys.privateKey };
const closers: (() => void)[] = [];

afterEach(() => {
  for (const close of closers.splice(0)) close();
});

async function serve(handler: (req: IncomingMessage, res: ServerResponse) => void) {
  const server = createServer(handler);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  closers.push(() => {
    server.closeAllConnections();
    server.close();
  });
  const { port } = server.address() as AddressInfo;
  // A path prefix on the base URL is kept; the signature covers the agent path.
  return createBackupTransfer({
    baseUrl: new URL(`http://127.0.0.1:${port}/berth`),
    identity: () => Promise.resolve(identity),
  });
}

function signedBy(req: IncomingMessage, method: string, path: string): boolean {
  const auth = parseAgentAuthorization(req.headers.authorization);
  if (!auth) return false;
  const payload = requestSigningPayload(method, path, auth.agentId, auth.timeMs);
  return verify(null, payload, keys.publicKey, Buffer.from(auth.signature, 'base64'));
}

describe('backup files on the control plane', () => {
  it('uploads a stream with a signed PUT and reads back what was stored', async () => {
    const seen: { url?: string; signed: boolean; body: Buffer }[] = [];
    const files = await serve((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const body = Buffer.concat(chunks);
        seen.push({
          url: req.url,
          signed: signedBy(req, 'PUT', '/agent/v1/backups/bk%201/file'),
          body,
        });
        const sha256 = createHash('sha256').update(body).digest('hex');
        res.end(JSON.stringify({ sha256, sizeBytes: body.length }));
      });
    });
    const parts = Array.from({ length: 50 }, (_, i) => Buffer.alloc(64 * 1024, i));
    const stored = await files.upload('bk 1', Readable.from(parts), new AbortController().signal);
    expect(stored.sizeBytes).toBe(50 * 64 * 1024);
    expect(stored.sha256).toBe(createHash('sha256').update(Buffer.concat(parts)).digest('hex'));
    expect(seen[0]).toMatchObject({ url: '/berth/agent/v1/backups/bk%201/file', signed: true });
  });

  it('reports a refusal with its code, not as something to retry', async () => {
    const files = await serve((req, res) => {
      req.resume();
      res.writeHead(401, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ error: { code: 'UNAUTHORIZED', message: 'bad signature' } }));
    });
    const err = await files
      .upload('bk1', Readable.from([Buffer.from('x')]), new AbortController().signal)
      .catch((e: unknown) => e);
    expect(String(err)).toContain('HTTP 401 UNAUTHORIZED: bad signature');
    expect(isRetryable(err)).toBe(false);
  });

  it('counts a dropped connection as a network failure worth another attempt', async () => {
    const files = await serve((req) => req.socket.destroy());
    const err = await files
      .upload('bk1', Readable.from([Buffer.alloc(1024)]), new AbortController().signal)
      .catch((e: unknown) => e);
    expect(isRetryable(err)).toBe(true);
  });

  it('rejects an answer without the stored sha256', async () => {
    const files = await serve((req, res) => {
      req.resume();
      req.on('end', () => res.end('{"ok":true}'));
    });
    await expect(
      files.upload('bk1', Readable.from([Buffer.from('x')]), new AbortController().signal),
    ).rejects.toThrow('without its sha256 and size');
  });

  it('downloads with a signed GET', async () => {
    const files = await serve((req, res) => {
      if (!signedBy(req, 'GET', '/agent/v1/backups/bk1/file')) return res.writeHead(401).end();
      res.end('stored bytes');
    });
    const stream = await files.download('bk1', new AbortController().signal);
    let text = '';
    for await (const chunk of stream) text += String(chunk);
    expect(text).toBe('stored bytes');
  });
});
