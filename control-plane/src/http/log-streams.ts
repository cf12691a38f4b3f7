import type { LogLine } from '@berth/protocol';
import type { Context } from 'hono';
import { stream, streamSSE, type SSEStreamingApi } from 'hono/streaming';
import { BerthError } from '../errors.js';
import { isFinalStatus, type DeploymentRecord, type JobRecord } from '../store/records.js';
import type { StoredLine } from '../store/log-files.js';
import type { DeploymentDeps } from './deployments.js';

/** A comment line every so often keeps proxies from closing a quiet stream, in milliseconds. */
const KEEPALIVE_MS = 15_000;

/** Live lines held for a follower before it reads them back from the file instead. */
const MAX_PENDING_LINES = 10_000;

/** Writes each produced chunk once the previous one is taken, so a slow reader slows the reading. */
function streamChunks(c: Context, contentType: string, chunks: AsyncIterable<string>) {
  c.header('content-type', contentType);
  return stream(c, async (out) => {
    for await (const chunk of chunks) {
      if (out.aborted || out.closed) return;
      await out.write(chunk);
    }
  });
}

async function* ndjsonChunks(pages: AsyncIterable<StoredLine[]>): AsyncGenerator<string> {
  for await (const page of pages) yield page.map((line) => `${line.json}\n`).join('');
}

/** The text of each line, one per row, as a person reads a build log. */
async function* textChunks(pages: AsyncIterable<StoredLine[]>): AsyncGenerator<string> {
  for await (const page of pages) {
    yield page.map((line) => `${(JSON.parse(line.json) as { text: string }).text}\n`).join('');
  }
}

async function sendLine(sse: SSEStreamingApi, line: LogLine): Promise<void> {
  await sse.writeSSE({ event: 'line', data: JSON.stringify(line), id: String(line.seq) });
}

function sseLines(lines: StoredLine[]): string {
  return lines.map((line) => `event: line\ndata: ${line.json}\nid: ${line.seq}\n\n`).join('');
}

export interface DeploymentLogOptions {
  deployment: DeploymentRecord;
  after: number;
  follow: boolean;
  /** At most this many lines (NDJSON and text). */
  limit?: number | undefined;
  /** Only the last this many lines (NDJSON and text). */
  tail?: number | undefined;
  format: 'ndjson' | 'text';
}

/**
 * A deployment's log: NDJSON (or plain text) of the stored lines after `after`, read from
 * the file a chunk at a time, or with follow an SSE stream that sends the stored lines, then
 * new ones as they arrive, and ends with `event: end`.
 */
export async function deploymentLogResponse(
  c: Context,
  deps: DeploymentDeps,
  options: DeploymentLogOptions,
) {
  const { logs } = deps;
  const jobId = options.deployment.jobId;
  if (options.follow) return followDeploymentLog(c, deps, options);
  let after = options.after;
  if (options.tail !== undefined) {
    after = Math.max(after, (await logs.lastStoredSeq(jobId)) - options.tail);
  }
  const pages = logs.scan(jobId, {
    after,
    ...(options.limit === undefined ? {} : { limit: options.limit }),
  });
  if (options.format === 'text') {
    c.header(
      'content-disposition',
      `attachment; filename="deployment-${options.deployment.number}.log"`,
    );
    return streamChunks(c, 'text/plain; charset=utf-8', textChunks(pages));
  }
  return streamChunks(c, 'application/x-ndjson; charset=utf-8', ndjsonChunks(pages));
}

function followDeploymentLog(c: Context, deps: DeploymentDeps, options: DeploymentLogOptions) {
  const { logs, events, store } = deps;
  const jobId = options.deployment.jobId;
  return streamSSE(c, async (sse) => {
    let lastSent = options.after;
    let pending: LogLine[] = [];
    // The file is the truth: it is read first, and again whenever live lines do not follow on.
    let readFile = true;
    let wake: (() => void) | null = null;
    const nudge = () => {
      wake?.();
      wake = null;
    };
    const unsubscribe = logs.subscribe(jobId, (line) => {
      if (readFile) return; // the coming file read picks it up
      if (pending.length >= MAX_PENDING_LINES) {
        pending = [];
        readFile = true;
      } else pending.push(line);
      nudge();
    });
    // The end comes from the job's own change event, carrying the deployment's final status.
    let ended: { status: string } | null = null;
    const onJob = (job: JobRecord, deployment: DeploymentRecord | undefined) => {
      if (job.id !== jobId || !isFinalStatus(job.status)) return;
      ended = { status: deployment?.status ?? job.status };
      nudge();
    };
    events.on('job', onJob);
    const closed = new Promise<void>((resolve) => sse.onAbort(resolve));
    void closed.then(nudge);
    try {
      const atStart = await store.history.deployment(options.deployment.id);
      if (!atStart || isFinalStatus(atStart.status)) {
        ended = { status: atStart?.status ?? options.deployment.status };
      }
      for (;;) {
        // Once finished, wait for lines still being written, then send the rest.
        if (ended) await logs.settled(jobId);
        while (readFile) {
          // Lines appended while reading arrive as pending; those the read also saw are skipped.
          readFile = false;
          pending = [];
          for await (const page of logs.scan(jobId, { after: lastSent })) {
            if (sse.aborted || sse.closed) return;
            await sse.write(sseLines(page));
            lastSent = page[page.length - 1]!.seq;
          }
        }
        pending.sort((a, b) => a.seq - b.seq);
        const batch: StoredLine[] = [];
        for (const line of pending) {
          if (line.seq <= lastSent) continue;
          if (line.seq !== lastSent + batch.length + 1) {
            readFile = true; // a gap: the file has what is missing
            break;
          }
          batch.push({ seq: line.seq, json: JSON.stringify(line) });
        }
        pending = [];
        if (batch.length > 0) {
          await sse.write(sseLines(batch));
          lastSent = batch[batch.length - 1]!.seq;
        }
        if (sse.aborted || sse.closed) return;
        if (readFile) continue;
        if (ended) {
          await sse.writeSSE({ event: 'end', data: JSON.stringify(ended) });
          return;
        }
        await new Promise<void>((resolve) => {
          wake = resolve;
          setTimeout(resolve, KEEPALIVE_MS).unref();
        });
        if (pending.length === 0 && !readFile && !sse.aborted) await sse.write(': keepalive\n\n');
      }
    } finally {
      unsubscribe();
      events.off('job', onJob);
    }
  });
}

/** A service's container output: NDJSON of the last `tail` lines, or with follow an SSE stream. */
export function containerLogResponse(
  c: Context,
  deps: DeploymentDeps,
  options: { serverId: string; serviceId: string; tail: number; follow: boolean },
) {
  let seq = 0;
  const number = (line: Omit<LogLine, 'seq'>): LogLine => ({ seq: ++seq, ...line });
  const unavailable = () =>
    new BerthError(
      'CONFLICT',
      "The service's server is not connected, so its container output cannot be read",
      {
        status: 409,
      },
    );

  if (!options.follow) {
    // Lines are written as the agent sends them, never gathered into one answer.
    const queue: string[] = [];
    let finished = false;
    let wake: () => void = () => undefined;
    const stop = deps.containerLogs.open(options, {
      onLines: (lines) => {
        queue.push(lines.map((l) => `${JSON.stringify(number(l))}\n`).join(''));
        wake();
      },
      onEnd: () => {
        finished = true;
        wake();
      },
    });
    if (!stop) throw unavailable();
    c.header('content-type', 'application/x-ndjson; charset=utf-8');
    return stream(c, async (out) => {
      out.onAbort(() => {
        stop();
        finished = true;
        wake();
      });
      for (;;) {
        while (queue.length > 0 && !out.aborted) await out.write(queue.shift()!);
        if (finished || out.aborted) break;
        await new Promise<void>((resolve) => (wake = resolve));
      }
      stop();
    });
  }
  return streamSSE(c, async (sse) => {
    let done: (error?: string) => void = () => undefined;
    const ended = new Promise<string | undefined>((resolve) => (done = resolve));
    let chain = Promise.resolve();
    const stop = deps.containerLogs.open(options, {
      onLines: (lines) => {
        chain = chain.then(async () => {
          for (const line of lines) await sendLine(sse, number(line));
        });
      },
      onEnd: (error) => done(error),
    });
    if (!stop) {
      await sse.writeSSE({ event: 'end', data: JSON.stringify({ error: unavailable().message }) });
      return;
    }
    sse.onAbort(() => {
      stop();
      done();
    });
    const error = await ended;
    await chain;
    stop();
    if (!sse.aborted)
      await sse.writeSSE({ event: 'end', data: JSON.stringify(error ? { error } : {}) });
  });
}
