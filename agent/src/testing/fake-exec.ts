import { PassThrough, Readable } from 'node:stream';
import type { ExecStream, ExecStreamRequest } from '../docker/engine.js';

/** What a command run in a fake container saw. */
export interface FakeExecCall {
  containerId: string;
  cmd: string[];
  env: Record<string, string>;
  /** Everything written to its stdin. */
  stdin: Buffer;
}

/** What it does: stdout bytes (or a stream of them), stderr lines, the exit status. */
export interface FakeExecReply {
  stdout?: Buffer | string | Readable;
  stderr?: string[];
  code?: number;
}

export type FakeExecHandler = (call: FakeExecCall) => FakeExecReply | Promise<FakeExecReply>;

/**
 * A command that talks as it reads (a psql session): given stdin as it comes and stdout,
 * it resolves with the exit status. Returning null leaves the command to the handler.
 */
export type FakeSessionHandler = (
  call: Omit<FakeExecCall, 'stdin'>,
) => ((stdin: NodeJS.ReadableStream, stdout: PassThrough) => Promise<number>) | null;

async function readAll(stream: NodeJS.ReadableStream | undefined): Promise<Buffer> {
  if (!stream) return Buffer.alloc(0);
  const chunks: Buffer[] = [];
  for await (const chunk of stream as AsyncIterable<Buffer>) chunks.push(Buffer.from(chunk));
  return Buffer.concat(chunks);
}

/** Runs a scripted command: stdin is read whole, then the reply streams out. */
export function fakeExecStream(
  containerId: string,
  request: ExecStreamRequest,
  handler: FakeExecHandler,
  calls: FakeExecCall[],
  sessions: FakeSessionHandler = () => null,
): ExecStream {
  const stdout = new PassThrough();
  const session = request.stdin
    ? sessions({ containerId, cmd: request.cmd, env: request.env ?? {} })
    : null;
  if (session && request.stdin) {
    const input = request.stdin;
    calls.push({ containerId, cmd: request.cmd, env: request.env ?? {}, stdin: Buffer.alloc(0) });
    const exit = session(input, stdout).finally(() => stdout.end());
    exit.catch((err: Error) => stdout.destroy(err));
    return { stdout, exit };
  }
  const exit = (async () => {
    const stdin = await readAll(request.stdin);
    const call = { containerId, cmd: request.cmd, env: request.env ?? {}, stdin };
    calls.push(call);
    const reply = await handler(call);
    for (const line of reply.stderr ?? []) request.onStderrLine?.(line);
    const source =
      reply.stdout instanceof Readable
        ? reply.stdout
        : Readable.from([Buffer.from(reply.stdout ?? '')]);
    await new Promise<void>((resolve, reject) => {
      source.on('error', reject);
      stdout.on('close', resolve);
      source.pipe(stdout);
    });
    return reply.code ?? 0;
  })();
  exit.catch((err: Error) => stdout.destroy(err));
  return { stdout, exit };
}
