import type { LogLine } from '@berth/protocol';
import type { Context } from 'hono';
import { stream, streamSSE, type SSEStreamingApi } from 'hono/streaming';
import { BerthError } from '../errors.js';
import { isFinalStatus, type DeploymentRecord, type JobRecord } from '../store/records.js';
import type { DeploymentDeps } from './deployments.js';

/** A comment line every so often keeps proxies from closing a quiet stream, in milliseconds. */
const KEEPALIVE_MS = 15_000;

function ndjson(c: Context, produce: (write: (line: LogLine) => void) => Promise<void>) {
  c.header('content-type', 'application/x-ndjson; charset=utf-8');
  return stream(c, async (out) => {
    let buffer = '';
    await produce((line) => {
      buffer += `${JSON.stringify(line)}\n`;
    });
    await out.write(buffer);
  });
}

async function sendLine(sse: SSEStreamingApi, line: LogLine): Promise<void> {
  await sse.writeSSE({ event: 'line', data: JSON.stringify(line), id: String(line.seq) });
}

/**
 * A deployment's log: NDJSON of the stored lines after `after`, or with follow an
 * SSE stream that sends new lines as they arrive and ends with `event: end`.
 */
export function deploymentLogResponse(
  c: Context,
  deps: DeploymentDeps,
  options: { deployment: DeploymentRecord; after: number; follow: boolean },
) {
  const { logs, events, store } = deps;
  const jobId = options.deployment.jobId;
  if (!options.follow) return ndjson(c, (write) => logs.read(jobId, options.after, write));

  return streamSSE(c, async (sse) => {
    let lastSent = options.after;
    const pending: LogLine[] = [];
    let wake: (() => void) | null = null;
    const nudge = () => {
      wake?.();
      wake = null;
    };
    const unsubscribe = logs.subscribe(jobId, (line) => {
      pending.push(line);
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
      await logs.read(jobId, lastSent, (line) => pending.push(line));
      const atStart = await store.history.deployment(options.deployment.id);
      if (!atStart || isFinalStatus(atStart.status)) {
        ended = { status: atStart?.status ?? options.deployment.status };
      }
      for (;;) {
        // Once finished, wait for lines still being written, then send the rest.
        if (ended) await logs.settled(jobId);
        // Lines from the file and from the subscription overlap; send each seq once, in order.
        pending.sort((a, b) => a.seq - b.seq);
        while (pending.length > 0) {
          const line = pending.shift()!;
          if (line.seq !== lastSent + 1) continue;
          await sendLine(sse, line);
          lastSent = line.seq;
        }
        if (sse.aborted || sse.closed) return;
        if (ended) {
          await sse.writeSSE({ event: 'end', data: JSON.stringify(ended) });
          return;
        }
        await new Promise<void>((resolve) => {
          wake = resolve;
          setTimeout(resolve, KEEPALIVE_MS).unref();
        });
        if (pending.length === 0 && !sse.aborted) await sse.write(': keepalive\n\n');
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
    return ndjson(
      c,
      (write) =>
        new Promise<void>((resolve, reject) => {
          const stop = deps.containerLogs.open(options, {
            onLines: (lines) => lines.forEach((l) => write(number(l))),
            onEnd: () => resolve(),
          });
          if (!stop) reject(unavailable());
        }),
    );
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
