import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdtemp, rename, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGzip } from 'node:zlib';

/**
 * The Node.js runtime this control plane runs on, offered to worker servers
 * that have none, laid out like a nodejs.org release folder: `SHASUMS256.txt`
 * and `node-<version>-linux-<arch>.tar.gz` (with `bin/node` inside).
 */
export interface NodeRuntime {
  /** The tarball's file name, e.g. `node-v20.20.2-linux-x64.tar.gz`. */
  readonly file: string;
  /** Packs the tarball on first use (a few seconds), then answers from the copy. */
  tarball(): Promise<{ path: string; bytes: number; sha256: string }>;
  /** Removes the packed copy. */
  close(): Promise<void>;
}

export interface NodeRuntimeSource {
  execPath: string;
  /** `process.version`, e.g. `v20.20.2`. */
  version: string;
  platform: string;
  arch: string;
  /** A node linked against libnode.so cannot be copied alone (`process.config.variables.node_shared`). */
  sharedLibrary: boolean;
}

export function currentNodeRuntimeSource(): NodeRuntimeSource {
  const variables = process.config.variables as { node_shared?: boolean };
  return {
    execPath: process.execPath,
    version: process.version,
    platform: process.platform,
    arch: process.arch,
    sharedLibrary: variables.node_shared === true,
  };
}

// The architectures nodejs.org names the same way as process.arch.
const ARCHES = new Set(['x64', 'arm64']);

/** null when this runtime cannot run on another machine as a single binary. */
export function nodeRuntimeOf(source: NodeRuntimeSource): NodeRuntime | null {
  if (source.platform !== 'linux' || !ARCHES.has(source.arch) || source.sharedLibrary) return null;
  const name = `node-${source.version}-linux-${source.arch}`;
  const file = `${name}.tar.gz`;
  let packed: Promise<{ path: string; bytes: number; sha256: string }> | undefined;
  const dirs: string[] = [];

  async function pack() {
    const dir = await mkdtemp(join(tmpdir(), 'berth-node-runtime-'));
    dirs.push(dir);
    const path = join(dir, file);
    const hash = createHash('sha256');
    const size = (await stat(source.execPath)).size;
    await pipeline(
      Readable.from(tarEntries(`${name}/bin/node`, source.execPath, size)),
      createGzip({ level: 6 }),
      new Transform({
        transform(chunk: Buffer, _encoding, done) {
          hash.update(chunk);
          done(null, chunk);
        },
      }),
      createWriteStream(`${path}.part`, { mode: 0o600 }),
    );
    await rename(`${path}.part`, path);
    return { path, bytes: (await stat(path)).size, sha256: hash.digest('hex') };
  }

  return {
    file,
    tarball() {
      packed ??= pack().catch((err: unknown) => {
        packed = undefined; // let the next request try again
        throw err;
      });
      return packed;
    },
    async close() {
      await packed?.catch(() => undefined);
      await Promise.all(dirs.map((dir) => rm(dir, { recursive: true, force: true })));
    },
  };
}

/** A ustar archive holding one executable file. */
async function* tarEntries(name: string, path: string, size: number): AsyncGenerator<Buffer> {
  yield ustarHeader(name, size, 0o755);
  let written = 0;
  for await (const chunk of createReadStream(path)) {
    written += (chunk as Buffer).length;
    yield chunk as Buffer;
  }
  if (written !== size) throw new Error(`${path} changed size while it was packed`);
  yield Buffer.alloc((512 - (size % 512)) % 512);
  yield Buffer.alloc(1024); // two empty blocks end the archive
}

function ustarHeader(name: string, size: number, mode: number): Buffer {
  if (Buffer.byteLength(name) > 100) throw new Error(`tar entry name too long: ${name}`);
  const header = Buffer.alloc(512);
  const octal = (value: number, width: number) => `${value.toString(8).padStart(width - 1, '0')}\0`;
  header.write(name, 0);
  header.write(octal(mode, 8), 100);
  header.write(octal(0, 8), 108); // uid
  header.write(octal(0, 8), 116); // gid
  header.write(octal(size, 12), 124);
  header.write(octal(0, 12), 136); // mtime
  header.write('        ', 148); // the checksum counts itself as spaces
  header.write('0', 156); // a regular file
  header.write('ustar\x0000', 257);
  let sum = 0;
  for (const byte of header) sum += byte;
  header.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148);
  return header;
}
