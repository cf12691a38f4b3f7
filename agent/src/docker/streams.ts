import { Readable } from 'node:stream';
import { LineSplitter, type SplitLine } from '../logs/line-splitter.js';
import type { FollowLogsOptions } from './engine.js';

/**
 * Stops reading a stream from the engine. Dockerode's types call these streams
 * NodeJS.ReadableStream, which has no destroy(); at run time each is an HTTP response.
 */
function destroy(stream: NodeJS.ReadableStream): void {
  if (stream instanceof Readable) stream.destroy();
}

/**
 * Reads a stream of newline-delimited JSON objects (build and pull progress,
 * events) and hands each to `onEvent`. Resolves when the stream ends or the
 * signal aborts; rejects if `onEvent` throws or the stream fails.
 *
 * After each chunk it asks `room` whether whoever takes the output can keep up; while
 * the promise it returns is pending, the stream is paused, so the engine waits too.
 */
export function followJsonLines(
  stream: NodeJS.ReadableStream,
  signal: AbortSignal,
  onEvent: (event: Record<string, unknown>) => void,
  room?: () => Promise<void> | null,
): Promise<void> {
  return new Promise((resolve, reject) => {
    // One streaming decoder: a character split between two chunks stays whole.
    const decoder = new TextDecoder('utf-8');
    let pending = '';
    let settled = false;
    const finish = (err?: unknown) => {
      if (settled) return;
      settled = true;
      signal.removeEventListener('abort', onAbort);
      if (err) reject(err instanceof Error ? err : new Error(String(err)));
      else resolve();
    };
    const onAbort = () => {
      destroy(stream);
      finish();
    };
    const handle = (line: string) => {
      if (!line.trim()) return;
      let event: unknown;
      try {
        event = JSON.parse(line);
      } catch {
        return; // a torn or non-JSON line carries nothing we act on
      }
      if (typeof event === 'object' && event !== null) onEvent(event as Record<string, unknown>);
    };
    if (signal.aborted) return onAbort();
    signal.addEventListener('abort', onAbort, { once: true });
    stream.on('data', (chunk: Buffer | string) => {
      pending += typeof chunk === 'string' ? chunk : decoder.decode(chunk, { stream: true });
      const lines = pending.split('\n');
      pending = lines.pop() ?? '';
      try {
        for (const line of lines) handle(line);
      } catch (err) {
        onAbort();
        finish(err);
        return;
      }
      const wait = room?.();
      if (wait) {
        stream.pause();
        void wait.then(() => stream.resume());
      }
    });
    stream.on('end', () => {
      try {
        handle(pending + decoder.decode());
        finish();
      } catch (err) {
        finish(err);
      }
    });
    stream.on('error', (err: Error) => finish(signal.aborted ? undefined : err));
    stream.on('close', () => finish());
  });
}

export interface OutputLine {
  stream: 'stdout' | 'stderr';
  text: string;
  /** Present (true) only on a later part of a line longer than MAX_LOG_LINE_BYTES. */
  continued?: true;
}

function outputLine(stream: 'stdout' | 'stderr', line: SplitLine): OutputLine {
  return line.continued
    ? { stream, text: line.text, continued: true }
    : { stream, text: line.text };
}

/**
 * Splits Docker's multiplexed log format (8-byte frame headers) into lines, each
 * stream through its own splitter, so frames that cut a line or a character do no harm.
 */
export function demuxLogs(buffer: Buffer): OutputLine[] {
  const out: OutputLine[] = [];
  const splitters = {
    stdout: new LineSplitter((line) => out.push(outputLine('stdout', line))),
    stderr: new LineSplitter((line) => out.push(outputLine('stderr', line))),
  };
  const framed = buffer.length >= 8 && (buffer[0] === 1 || buffer[0] === 2) && buffer[1] === 0;
  if (!framed) {
    splitters.stdout.pushBytes(buffer);
  } else {
    let offset = 0;
    while (offset + 8 <= buffer.length) {
      const kind = buffer[offset] === 2 ? 'stderr' : 'stdout';
      const size = buffer.readUInt32BE(offset + 4);
      splitters[kind].pushBytes(buffer.subarray(offset + 8, offset + 8 + size));
      offset += 8 + size;
    }
  }
  splitters.stdout.end();
  splitters.stderr.end();
  return out;
}

/** Splits "2026-01-01T00:00:00.123456789Z text" into its timestamp and text. */
export function splitTimestamp(line: string): { ts: string; text: string } {
  const space = line.indexOf(' ');
  const ts = space > 0 ? line.slice(0, space) : '';
  if (!/^\d{4}-\d{2}-\d{2}T/.test(ts)) return { ts: new Date().toISOString(), text: line };
  const parsed = new Date(ts);
  return {
    ts: Number.isNaN(parsed.getTime()) ? new Date().toISOString() : parsed.toISOString(),
    text: line.slice(space + 1),
  };
}

/** A line of container output read with timestamps; a continuation part carries none. */
export function timestamped(
  stream: 'stdout' | 'stderr',
  line: { text: string; continued?: boolean },
): OutputLine & { ts: string } {
  if (line.continued)
    return { ts: new Date().toISOString(), stream, text: line.text, continued: true };
  return { stream, ...splitTimestamp(line.text) };
}

/** Reads a live multiplexed log stream (8-byte frame headers) into timestamped lines. */
export function followLogStream(
  stream: NodeJS.ReadableStream,
  options: FollowLogsOptions,
): Promise<void> {
  const splitters = {
    stdout: new LineSplitter((line) => options.onLine(timestamped('stdout', line))),
    stderr: new LineSplitter((line) => options.onLine(timestamped('stderr', line))),
  };
  let buffer = Buffer.alloc(0);
  return new Promise((resolve) => {
    const done = () => {
      splitters.stdout.end();
      splitters.stderr.end();
      resolve();
    };
    stream.on('data', (chunk: Buffer) => {
      buffer = Buffer.concat([buffer, chunk]);
      while (buffer.length >= 8) {
        const size = buffer.readUInt32BE(4);
        if (buffer.length < 8 + size) break;
        const kind = buffer[0] === 2 ? 'stderr' : 'stdout';
        splitters[kind].pushBytes(buffer.subarray(8, 8 + size));
        buffer = buffer.subarray(8 + size);
      }
    });
    stream.on('end', done);
    stream.on('close', done);
    stream.on('error', done);
    options.signal.addEventListener('abort', () => destroy(stream), { once: true });
  });
}
