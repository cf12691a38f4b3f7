import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createReadStream, existsSync, mkdirSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { join } from 'node:path';
import { REPO_ROOT } from './processes.js';

const ARCH: Record<string, string> = { x64: 'x64', arm64: 'arm64' };

/** The Node.js tarball the mirror serves: this machine's own node, named like nodejs.org's. */
function nodeTarball(): { file: string; path: string; sha256: string } {
  const arch = ARCH[process.arch];
  if (!arch) throw new Error(`no Node.js mirror tarball for ${process.arch}`);
  const name = `node-${process.version}-linux-${arch}`;
  const file = `${name}.tar.gz`;
  // Packing ~100 MB takes seconds; keep it between runs.
  const cache = join(REPO_ROOT, '.berth', 'test', 'node-mirror');
  const path = join(cache, file);
  if (!existsSync(path)) {
    const stage = join(cache, `stage-${process.pid}`);
    rmSync(stage, { recursive: true, force: true });
    mkdirSync(join(stage, name, 'bin'), { recursive: true });
    execFileSync('cp', [process.execPath, join(stage, name, 'bin', 'node')]);
    execFileSync('tar', ['-C', stage, '-I', 'gzip -1', '-cf', `${path}.tmp`, name]);
    renameSync(`${path}.tmp`, path);
    rmSync(stage, { recursive: true, force: true });
  }
  const sha256 = createHash('sha256').update(readFileSync(path)).digest('hex');
  return { file, path, sha256 };
}

export interface NodeMirror {
  /** A mirror laid out like https://nodejs.org/dist, with `latest-v20.x/`. */
  url: string;
  /** The same files, but SHASUMS256.txt holds a wrong sum for the tarball. */
  badUrl: string;
  version: string;
  close(): Promise<void>;
}

/** Serves this machine's node as a Node.js download mirror on 127.0.0.1. */
export async function startNodeMirror(): Promise<NodeMirror> {
  const tarball = nodeTarball();
  const line = (sha: string) => `${sha}  ${tarball.file}\n`;
  const others = `${'0'.repeat(64)}  node-${process.version}-linux-s390x.tar.gz\n`;
  const dir = `latest-v${process.versions.node.split('.')[0]}.x`;
  const server: Server = createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://mirror').pathname;
    const [, flavour, folder, file] = path.split('/');
    if ((flavour !== 'good' && flavour !== 'bad') || folder !== dir) {
      res.writeHead(404).end('not found\n');
      return;
    }
    if (file === 'SHASUMS256.txt') {
      const sha =
        flavour === 'good' ? tarball.sha256 : createHash('sha256').update('x').digest('hex');
      res.writeHead(200, { 'content-type': 'text/plain' }).end(others + line(sha));
      return;
    }
    if (file === tarball.file) {
      res.writeHead(200, { 'content-type': 'application/gzip' });
      createReadStream(tarball.path).pipe(res);
      return;
    }
    res.writeHead(404).end('not found\n');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (!address || typeof address !== 'object') throw new Error('mirror has no port');
  const base = `http://127.0.0.1:${address.port}`;
  return {
    url: `${base}/good`,
    badUrl: `${base}/bad`,
    version: process.version,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
