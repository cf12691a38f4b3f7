import { createHash, verify, type KeyObject } from 'node:crypto';
import { createReadStream, createWriteStream, rmSync, statSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { parseAgentAuthorization, requestSigningPayload } from '@berth/protocol';
import { tempDir } from './processes.js';

/**
 * The control plane's two backup file endpoints, alone: `PUT` and `GET
 * /agent/v1/backups/:id/file`, each refused unless the agent's signature verifies. A
 * broken upload leaves no file.
 */
export class BackupFilesServer {
  readonly dir = tempDir('backup-files');
  /** Finished uploads, in order. */
  readonly stored: { backupId: string; sha256: string; sizeBytes: number }[] = [];
  /** Uploads that broke off before their end. */
  aborted = 0;
  refused = 0;
  /** Set to drop the connection of the next N uploads half-way. */
  dropNextUploads = 0;
  private server: Server | undefined;

  constructor(
    private readonly agentId: string,
    private readonly publicKey: KeyObject,
  ) {}

  async start(): Promise<URL> {
    this.server = createServer((req, res) => void this.handle(req, res));
    // Node's default of 300 s would cut off an upload of a large backup.
    this.server.requestTimeout = 0;
    await new Promise<void>((resolve) => this.server?.listen(0, '127.0.0.1', resolve));
    const { port } = this.server.address() as AddressInfo;
    return new URL(`http://127.0.0.1:${port}`);
  }

  async close(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise<void>((resolve) => this.server?.close(() => resolve()));
    rmSync(this.dir, { recursive: true, force: true });
  }

  filePath(backupId: string): string {
    return join(this.dir, `${backupId}.bin`);
  }

  private fail(res: ServerResponse, status: number, code: string, message: string): void {
    res.writeHead(status, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ error: { code, message } }));
  }

  private authorized(req: IncomingMessage, path: string): boolean {
    const auth = parseAgentAuthorization(req.headers.authorization);
    if (!auth || auth.agentId !== this.agentId) return false;
    if (Math.abs(Date.now() - auth.timeMs) > 60_000) return false;
    const payload = requestSigningPayload(req.method ?? '', path, auth.agentId, auth.timeMs);
    return verify(null, payload, this.publicKey, Buffer.from(auth.signature, 'base64'));
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = new URL(req.url ?? '/', 'http://x').pathname;
    const match = /^\/agent\/v1\/backups\/([^/]+)\/file$/.exec(path);
    if (!match?.[1]) return this.fail(res, 404, 'NOT_FOUND', 'no such endpoint');
    if (!this.authorized(req, path)) {
      this.refused += 1;
      req.resume();
      return this.fail(res, 401, 'UNAUTHORIZED', 'bad agent signature');
    }
    const backupId = decodeURIComponent(match[1]);
    const file = this.filePath(backupId);
    if (req.method === 'GET') {
      try {
        statSync(file);
      } catch {
        return this.fail(res, 404, 'NOT_FOUND', 'no stored file');
      }
      res.writeHead(200, { 'content-type': 'application/octet-stream' });
      await pipeline(createReadStream(file), res).catch(() => undefined);
      return;
    }
    if (req.method !== 'PUT') return this.fail(res, 404, 'NOT_FOUND', 'no such method');
    const hash = createHash('sha256');
    let sizeBytes = 0;
    let dropAt = -1;
    if (this.dropNextUploads > 0) {
      this.dropNextUploads -= 1;
      dropAt = 64 * 1024;
    }
    req.on('data', (chunk: Buffer) => {
      hash.update(chunk);
      sizeBytes += chunk.length;
      if (dropAt >= 0 && sizeBytes >= dropAt) req.socket.destroy();
    });
    try {
      await pipeline(req, createWriteStream(file));
    } catch {
      this.aborted += 1;
      rmSync(file, { force: true });
      return;
    }
    const sha256 = hash.digest('hex');
    this.stored.push({ backupId, sha256, sizeBytes });
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ sha256, sizeBytes }));
  }
}
