import { spawn } from 'node:child_process';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { join } from 'node:path';
import { GitRepo, initRepo } from './git-server.js';
import { freePort } from './ports.js';
import { tempDir } from './processes.js';

export interface GitHttpRequest {
  method: string;
  url: string;
  /** The user of a valid Basic authorization, or null when it was missing or wrong. */
  user: string | null;
  /** Whether the request carried an Authorization header at all. */
  sentCredentials: boolean;
}

/**
 * Git's smart HTTP protocol on 127.0.0.1: a Node server that checks Basic authorization and
 * runs `git http-backend` (CGI) for the repositories in its folder. Plain HTTP on loopback; a
 * client hands it credentials exactly as it would over HTTPS.
 */
export class GitHttpServer {
  /** Every request, in order. */
  readonly requests: GitHttpRequest[] = [];
  /** Called on each authorized request while git waits for the answer (a fetch is running). */
  onAuthorized: (() => void) | null = null;

  private constructor(
    readonly dir: string,
    readonly port: number,
    private readonly server: Server,
    private readonly credentials: { username: string; token: string },
  ) {}

  static async start(credentials: { username: string; token: string }): Promise<GitHttpServer> {
    const dir = tempDir('git-http');
    const port = await freePort();
    let self: GitHttpServer | null = null;
    const server = createServer((req, res) => self!.handle(req, res));
    self = new GitHttpServer(dir, port, server, credentials);
    await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
    return self;
  }

  /** Creates an empty repository, served as http://127.0.0.1:<port>/<name>. */
  async createRepo(name: string): Promise<GitRepo> {
    const dir = join(this.dir, name);
    await initRepo(dir);
    return new GitRepo(name, dir, `http://127.0.0.1:${this.port}/${name}`);
  }

  stop(): Promise<void> {
    this.server.closeAllConnections();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }

  private userOf(req: IncomingMessage): string | null {
    const match = /^Basic ([A-Za-z0-9+/=]+)$/.exec(req.headers.authorization ?? '');
    if (!match) return null;
    const decoded = Buffer.from(match[1]!, 'base64').toString();
    const { username, token } = this.credentials;
    return decoded === `${username}:${token}` ? username : null;
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    const user = this.userOf(req);
    this.requests.push({
      method: req.method ?? '',
      url: req.url ?? '',
      user,
      sentCredentials: req.headers.authorization !== undefined,
    });
    if (!user) {
      res.writeHead(401, { 'WWW-Authenticate': 'Basic realm="git"' }).end('unauthorized\n');
      return;
    }
    this.onAuthorized?.();
    const url = new URL(req.url ?? '/', 'http://localhost');
    const cgi = spawn('git', ['http-backend'], {
      env: {
        PATH: process.env.PATH ?? '/usr/bin:/bin',
        GIT_PROJECT_ROOT: this.dir,
        GIT_HTTP_EXPORT_ALL: '1',
        GIT_CONFIG_NOSYSTEM: '1',
        REQUEST_METHOD: req.method ?? 'GET',
        PATH_INFO: decodeURIComponent(url.pathname),
        QUERY_STRING: url.search.slice(1),
        CONTENT_TYPE: req.headers['content-type'] ?? '',
        ...(req.headers['content-length'] ? { CONTENT_LENGTH: req.headers['content-length'] } : {}),
        ...(req.headers['content-encoding']
          ? { HTTP_CONTENT_ENCODING: req.headers['content-encoding'] }
          : {}),
        REMOTE_USER: user,
        REMOTE_ADDR: '127.0.0.1',
        ...(req.headers['git-protocol']
          ? { GIT_PROTOCOL: String(req.headers['git-protocol']) }
          : {}),
      },
      stdio: ['pipe', 'pipe', 'inherit'],
    });
    req.pipe(cgi.stdin);
    let head = Buffer.alloc(0);
    let headersSent = false;
    cgi.stdout.on('data', (chunk: Buffer) => {
      if (headersSent) {
        res.write(chunk);
        return;
      }
      head = Buffer.concat([head, chunk]);
      const end = head.indexOf('\r\n\r\n');
      if (end < 0) return;
      let status = 200;
      for (const line of head.subarray(0, end).toString().split('\r\n')) {
        const colon = line.indexOf(':');
        const name = line.slice(0, colon).trim();
        const value = line.slice(colon + 1).trim();
        if (name.toLowerCase() === 'status') status = Number.parseInt(value, 10);
        else res.setHeader(name, value);
      }
      res.writeHead(status);
      headersSent = true;
      res.write(head.subarray(end + 4));
    });
    cgi.on('close', () => {
      if (!headersSent) res.writeHead(502);
      res.end();
    });
  }
}
