import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { request, createServer, type IncomingMessage, type Server } from 'node:http';
import { join } from 'node:path';
import { REPO_ROOT, tempDir } from './processes.js';

/** What `pnpm build` leaves for the control plane to serve to worker servers. */
export const BUILT_RELEASE = join(REPO_ROOT, 'agent', 'dist', 'release');

export interface ReleaseManifest {
  version: string;
  file: string;
  sha256: string;
  bytes: number;
}

export function readManifest(dir = BUILT_RELEASE): ReleaseManifest {
  return JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8')) as ReleaseManifest;
}

/**
 * A copy of the built release whose agent reports `version`: the bundle is
 * unpacked, its one version string replaced, and packed and summed again, the
 * way a newer build of the control plane would ship it. `brokenAgent` makes
 * main.js exit at once instead, as a bad release would.
 */
export function releaseWithVersion(
  version: string,
  options: { brokenAgent?: boolean } = {},
): string {
  const built = readManifest();
  const dir = tempDir('release');
  const stage = join(dir, 'stage');
  mkdirSync(stage);
  execFileSync('tar', ['-xzf', join(BUILT_RELEASE, built.file), '-C', stage]);
  const main = readFileSync(join(stage, 'main.js'), 'utf8');
  const quoted = JSON.stringify(built.version);
  const count = main.split(quoted).length - 1;
  if (count !== 1) throw new Error(`expected one ${quoted} in the agent bundle, found ${count}`);
  const next = options.brokenAgent
    ? 'console.error("this agent release is broken"); process.exit(3);\n'
    : main.replace(quoted, JSON.stringify(version));
  writeFileSync(join(stage, 'main.js'), next);
  const pkg = JSON.parse(readFileSync(join(stage, 'package.json'), 'utf8')) as object;
  writeFileSync(join(stage, 'package.json'), JSON.stringify({ ...pkg, version }, null, 2));
  const bundle = join(dir, built.file);
  execFileSync('tar', ['-C', stage, '-czf', bundle, 'main.js', 'package.json']);
  const bytes = readFileSync(bundle);
  const sha256 = createHash('sha256').update(bytes).digest('hex');
  writeFileSync(join(dir, `${built.file}.sha256`), `${sha256}  ${built.file}\n`);
  const manifest: ReleaseManifest = { version, file: built.file, sha256, bytes: bytes.length };
  writeFileSync(join(dir, 'manifest.json'), JSON.stringify(manifest));
  copyFileSync(join(BUILT_RELEASE, 'install.sh'), join(dir, 'install.sh'));
  return dir;
}

/**
 * An HTTP proxy in front of the control plane that changes one byte of every
 * `.tar.gz` it passes on, as a compromised mirror or network would. It keeps
 * its own Host header, so the control plane serves install.sh with the proxy's URL.
 */
export async function startTamperingProxy(
  target: string,
): Promise<{ url: string; close(): Promise<void> }> {
  const upstream = new URL(target);
  const server: Server = createServer((req, res) => {
    const forward = request(
      {
        host: upstream.hostname,
        port: upstream.port,
        path: req.url,
        method: req.method,
        headers: req.headers,
      },
      (answer: IncomingMessage) => {
        const chunks: Buffer[] = [];
        answer.on('data', (chunk: Buffer) => chunks.push(chunk));
        answer.on('end', () => {
          const body = Buffer.concat(chunks);
          if ((req.url ?? '').endsWith('.tar.gz') && body.length > 0) {
            const middle = Math.floor(body.length / 2);
            body[middle] = body[middle]! ^ 0xff;
          }
          res.writeHead(answer.statusCode ?? 502, {
            ...answer.headers,
            'content-length': String(body.length),
          });
          res.end(body);
        });
      },
    );
    forward.on('error', (err) => res.writeHead(502).end(err.message));
    req.pipe(forward);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (!address || typeof address !== 'object') throw new Error('proxy has no port');
  return {
    url: `http://127.0.0.1:${address.port}`,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
