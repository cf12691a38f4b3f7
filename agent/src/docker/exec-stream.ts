import { Transform, type Duplex, type TransformCallback } from 'node:stream';
import type Docker from 'dockerode';
import { LineSplitter } from '../logs/line-splitter.js';
import type { ExecStream, ExecStreamRequest } from './engine.js';

/** How long the engine may take to mark an exec finished once its output ended, in ms. */
const EXIT_WAIT_MS = 10_000;
const EXIT_POLL_MS = 50;

/**
 * Splits Docker's multiplexed exec output (8-byte frame headers) as a transform: stdout
 * payloads pass on, so whoever reads them paces the command; stderr goes to `onStderr`.
 */
export class ExecDemuxer extends Transform {
  #pending: Buffer = Buffer.alloc(0);
  /** What is left of the current frame's payload, and whose it is. */
  #left = 0;
  #kind: 'stdout' | 'stderr' = 'stdout';

  constructor(private readonly onStderr: (chunk: Buffer) => void) {
    super();
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    let data = this.#pending.length > 0 ? Buffer.concat([this.#pending, chunk]) : chunk;
    this.#pending = Buffer.alloc(0);
    while (data.length > 0) {
      if (this.#left === 0) {
        if (data.length < 8) {
          this.#pending = Buffer.from(data);
          break;
        }
        this.#kind = data[0] === 2 ? 'stderr' : 'stdout';
        this.#left = data.readUInt32BE(4);
        data = data.subarray(8);
        continue;
      }
      const part = data.subarray(0, this.#left);
      this.#left -= part.length;
      data = data.subarray(part.length);
      if (this.#kind === 'stdout') this.push(part);
      else this.onStderr(part);
    }
    callback();
  }
}

async function exitCode(exec: Docker.Exec, sleep: (ms: number) => Promise<void>): Promise<number> {
  const started = Date.now();
  for (;;) {
    const info = await exec.inspect();
    if (!info.Running && typeof info.ExitCode === 'number') return info.ExitCode;
    if (Date.now() - started > EXIT_WAIT_MS) {
      throw new Error('the engine did not report the command finished after its output ended');
    }
    await sleep(EXIT_POLL_MS);
  }
}

/** Runs a command in a container with its env (secrets only there) and streams its output. */
export async function execStream(
  docker: Docker,
  containerId: string,
  request: ExecStreamRequest,
): Promise<ExecStream> {
  const exec = await docker.getContainer(containerId).exec({
    Cmd: request.cmd,
    Env: Object.entries(request.env ?? {}).map(([k, v]) => `${k}=${v}`),
    AttachStdin: request.stdin !== undefined,
    AttachStdout: true,
    AttachStderr: true,
    Tty: false,
  });
  const socket = (await exec.start({
    hijack: true,
    stdin: request.stdin !== undefined,
  })) as Duplex;
  const stderr = new LineSplitter((line) => request.onStderrLine?.(line.text));
  const demuxer = new ExecDemuxer((chunk) => stderr.pushBytes(chunk));
  const onAbort = () => socket.destroy(new Error('cancelled'));
  if (request.signal.aborted) onAbort();
  request.signal.addEventListener('abort', onAbort, { once: true });

  if (request.stdin) {
    const input = request.stdin;
    input.on('data', (chunk: Buffer) => {
      if (!socket.write(chunk)) {
        input.pause();
        socket.once('drain', () => input.resume());
      }
    });
    // The end of stdin half-closes the connection: the engine closes the command's stdin.
    input.on('end', () => socket.end());
    input.on('error', (err: Error) => socket.destroy(err));
  }
  socket.on('error', (err) => demuxer.destroy(err));
  // A reader that gives up must not leave the command blocked on a full pipe.
  demuxer.once('close', () => socket.destroy());
  socket.pipe(demuxer);

  const ended = new Promise<void>((resolve, reject) => {
    demuxer.once('end', resolve);
    demuxer.once('close', () => resolve());
    demuxer.once('error', reject);
  });
  const exit = ended
    .then(() => {
      stderr.end();
      if (request.signal.aborted) throw new Error('cancelled');
      return exitCode(exec, (ms) => new Promise((r) => setTimeout(r, ms)));
    })
    .finally(() => request.signal.removeEventListener('abort', onAbort));
  // The caller may read the exit status only after the output; it must not go unhandled.
  exit.catch(() => undefined);
  return { stdout: demuxer, exit };
}
