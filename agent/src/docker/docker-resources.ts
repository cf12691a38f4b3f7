import { Writable, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type Docker from 'dockerode';
import { extract, pack } from 'tar-stream';
import type { SmallFile, Engine, ExecOptions, ExecResult } from './engine.js';

const DEFAULT_MAX_OUTPUT_BYTES = 64 * 1024;

function statusCode(err: unknown): number | undefined {
  const code = (err as { statusCode?: unknown } | null)?.statusCode;
  return typeof code === 'number' ? code : undefined;
}

/** Keeps the first `max` bytes written to it and drops the rest. */
class Capture extends Writable {
  private readonly chunks: Buffer[] = [];
  private size = 0;
  constructor(private readonly max: number) {
    super();
  }
  override _write(chunk: Buffer, _enc: BufferEncoding, done: () => void): void {
    if (this.size < this.max) {
      const part = chunk.subarray(0, this.max - this.size);
      this.chunks.push(part);
      this.size += part.length;
    }
    done();
  }
  text(): string {
    return Buffer.concat(this.chunks).toString('utf8');
  }
}

async function readFirstEntry(archive: NodeJS.ReadableStream): Promise<Buffer | null> {
  const reader = extract();
  const feeding = pipeline(archive as Readable, reader).catch(() => undefined);
  let content: Buffer | null = null;
  for await (const entry of reader) {
    const chunks: Buffer[] = [];
    for await (const chunk of entry) chunks.push(chunk as Buffer);
    content ??= Buffer.concat(chunks);
  }
  await feeding;
  return content;
}

/** The uid and gid of `user` in the container's /etc/passwd. */
async function lookUpUser(
  container: Docker.Container,
  user: string,
): Promise<{ uid: number; gid: number }> {
  const passwd = await readFirstEntry(await container.getArchive({ path: '/etc/passwd' }));
  for (const line of (passwd?.toString('utf8') ?? '').split('\n')) {
    const [name, , uid, gid] = line.split(':');
    if (name === user && uid && gid) return { uid: Number(uid), gid: Number(gid) };
  }
  throw new Error(`the image has no user "${user}" in /etc/passwd`);
}

async function tarOf(file: SmallFile, owner: { uid: number; gid: number }): Promise<Buffer> {
  const archive = pack();
  archive.entry(
    {
      name: file.path.replace(/^\/+/, ''),
      mode: file.mode,
      uid: owner.uid,
      gid: owner.gid,
      mtime: new Date(),
      type: 'file',
    },
    file.content,
  );
  archive.finalize();
  const chunks: Buffer[] = [];
  for await (const chunk of archive) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

type ResourceMethods = Pick<
  Engine,
  'ensureNetwork' | 'connectNetwork' | 'ensureVolume' | 'writeFile' | 'runExec' | 'publishedPorts'
>;

/** Networks, volumes, files and execs: what database services need of the engine. */
export function dockerResources(docker: Docker): ResourceMethods {
  // One create per network at a time in this process; the engine can still race with another.
  const pendingNetworks = new Map<string, Promise<void>>();

  async function createNetwork(name: string, labels: Record<string, string>): Promise<void> {
    try {
      await docker.getNetwork(name).inspect();
      return;
    } catch (err) {
      if (statusCode(err) !== 404) throw err;
    }
    try {
      await docker.createNetwork({
        Name: name,
        Driver: 'bridge',
        Labels: labels,
        CheckDuplicate: true,
      });
    } catch (err) {
      // 409: someone else created it meanwhile, which is what we wanted.
      if (statusCode(err) !== 409) throw err;
    }
  }

  async function waitForExit(exec: Docker.Exec): Promise<number> {
    for (let attempt = 0; ; attempt += 1) {
      const info = await exec.inspect();
      if (!info.Running || attempt >= 50) return info.ExitCode ?? -1;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }

  return {
    async ensureNetwork(name, labels) {
      let pending = pendingNetworks.get(name);
      if (!pending) {
        pending = createNetwork(name, labels).finally(() => pendingNetworks.delete(name));
        pendingNetworks.set(name, pending);
      }
      await pending;
    },

    async connectNetwork(network, containerId, aliases) {
      try {
        await docker
          .getNetwork(network)
          .connect({ Container: containerId, EndpointConfig: { Aliases: aliases } });
      } catch (err) {
        // 403: "endpoint … already exists in network", which is what we wanted.
        if (statusCode(err) !== 403 || !/already exists/i.test(String(err))) throw err;
      }
    },

    async ensureVolume(name, labels) {
      // Creating a volume that exists answers the existing one.
      await docker.createVolume({ Name: name, Labels: labels });
    },

    async writeFile(containerId, file) {
      const container = docker.getContainer(containerId);
      const owner = file.owner ? await lookUpUser(container, file.owner) : { uid: 0, gid: 0 };
      await container.putArchive(await tarOf(file, owner), { path: '/' });
    },

    async runExec(containerId, cmd, env, options: ExecOptions = {}): Promise<ExecResult> {
      const exec = await docker.getContainer(containerId).exec({
        Cmd: cmd,
        Env: Object.entries(env).map(([k, v]) => `${k}=${v}`),
        AttachStdin: false,
        AttachStdout: true,
        AttachStderr: true,
        Tty: false,
      });
      const stream = await exec.start({ hijack: true, stdin: false });
      const max = options.maxOutputBytes ?? DEFAULT_MAX_OUTPUT_BYTES;
      const stdout = new Capture(max);
      const stderr = new Capture(max);
      docker.modem.demuxStream(stream, stdout, stderr);
      await new Promise<void>((resolve, reject) => {
        const onAbort = () => {
          (stream as Readable).destroy();
          reject(new Error('the command was cancelled'));
        };
        if (options.signal?.aborted) return onAbort();
        options.signal?.addEventListener('abort', onAbort, { once: true });
        const done = () => {
          options.signal?.removeEventListener('abort', onAbort);
          resolve();
        };
        stream.on('end', done);
        stream.on('close', done);
        stream.on('error', (err: Error) => {
          options.signal?.removeEventListener('abort', onAbort);
          reject(err);
        });
      });
      return { exitCode: await waitForExit(exec), stdout: stdout.text(), stderr: stderr.text() };
    },

    async publishedPorts() {
      const containers = await docker.listContainers({ all: true });
      const ports = new Set<number>();
      for (const c of containers)
        for (const p of c.Ports ?? []) if (p.PublicPort) ports.add(p.PublicPort);
      return [...ports];
    },
  };
}
