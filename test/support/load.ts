import { request } from 'node:http';
import { sleep } from './wait.js';

// A bounded load loop through the proxy: requests at a fixed rate, each on a new TCP
// connection (a reused connection would hide resets on new ones), with a Host header.
// Every answer is kept: its status, latency, body (which release answered) or error.

export interface Sample {
  /** When the request was sent, in ms since the epoch. */
  startedAt: number;
  latencyMs: number;
  status?: number;
  /** The trimmed body: the app names its release in it. */
  body?: string;
  error?: string;
}

export interface LoadOptions {
  /** The proxy's published HTTP port on 127.0.0.1. */
  port: number;
  /** The Host header: the domain routed to the app. */
  host: string;
  path?: string;
  /** Requests started per second (default 150). */
  ratePerSecond?: number;
  /** The loop stops by itself after this many requests. */
  maxRequests: number;
  /** Aborting stops the loop early; requests in flight still finish. */
  signal?: AbortSignal;
  /** Per request, in ms (default 10 000). */
  timeoutMs?: number;
}

export interface LoadRun {
  /** The samples so far, in the order the requests were sent. */
  readonly samples: Sample[];
  /** Resolves when the loop has stopped and every request in flight has finished. */
  readonly done: Promise<Sample[]>;
  /** Stops sending; the same as aborting the signal. */
  stop(): void;
}

/** At most this many requests wait for an answer at once, so a stall cannot pile up sockets. */
const MAX_IN_FLIGHT = 500;

function send(options: LoadOptions): Promise<Sample> {
  const startedAt = Date.now();
  const started = performance.now();
  return new Promise((resolve) => {
    const finish = (fields: Partial<Sample>) =>
      resolve({ startedAt, latencyMs: performance.now() - started, ...fields });
    const req = request(
      {
        host: '127.0.0.1',
        port: options.port,
        path: options.path ?? '/',
        headers: { host: options.host, connection: 'close' },
        agent: false,
        timeout: options.timeoutMs ?? 10_000,
      },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (body += chunk));
        res.on('end', () => finish({ status: res.statusCode ?? 0, body: body.trim() }));
        res.on('error', (err) => finish({ status: res.statusCode ?? 0, error: err.message }));
      },
    );
    req.on('timeout', () => req.destroy(new Error('timed out')));
    req.on('error', (err: NodeJS.ErrnoException) => finish({ error: err.code ?? err.message }));
    req.end();
  });
}

/** Starts the loop; it runs until `maxRequests` were sent or it is stopped. */
export function startLoad(options: LoadOptions): LoadRun {
  const controller = new AbortController();
  const stopOn = options.signal;
  stopOn?.addEventListener('abort', () => controller.abort(), { once: true });
  const intervalMs = 1000 / (options.ratePerSecond ?? 150);
  const samples: Sample[] = [];
  const inFlight = new Set<Promise<void>>();
  const loop = async () => {
    const start = performance.now();
    for (let i = 0; i < options.maxRequests && !controller.signal.aborted; i++) {
      const due = start + i * intervalMs;
      const wait = due - performance.now();
      if (wait > 0) await sleep(wait);
      while (inFlight.size >= MAX_IN_FLIGHT) await Promise.race(inFlight);
      const index = samples.length;
      samples.push({ startedAt: Date.now(), latencyMs: 0, error: 'in flight' });
      const pending = send(options).then((sample) => {
        samples[index] = sample;
        inFlight.delete(pending);
      });
      inFlight.add(pending);
    }
    await Promise.all(inFlight);
    return samples;
  };
  return { samples, done: loop(), stop: () => controller.abort() };
}

export interface Window {
  from: number;
  to: number;
}

export interface LoadSummary {
  sent: number;
  failed: number;
  /** Requests per second over the whole run. */
  rate: number;
  p50Ms: number;
  p99Ms: number;
  /** p99 of the requests sent inside the windows (the switches), or null without windows. */
  p99InWindowsMs: number | null;
  requestsInWindows: number;
  /** How many answers each body got. */
  bodies: Record<string, number>;
  /** The first few failures, for the error message. */
  failures: Sample[];
}

export function percentile(values: number[], p: number): number {
  if (values.length === 0) return 0;
  const sorted = [...values].sort((a, b) => a - b);
  const index = Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1);
  return sorted[Math.max(0, index)]!;
}

/** A sample failed when it got no answer, or an answer other than 200. */
export function isFailure(sample: Sample): boolean {
  return sample.error !== undefined || sample.status !== 200;
}

export function summarize(samples: Sample[], windows: Window[] = []): LoadSummary {
  const failures = samples.filter(isFailure);
  const bodies: Record<string, number> = {};
  for (const s of samples) {
    if (s.body !== undefined) bodies[s.body] = (bodies[s.body] ?? 0) + 1;
  }
  const inWindows = samples.filter((s) =>
    windows.some((w) => s.startedAt >= w.from && s.startedAt <= w.to),
  );
  const first = samples[0]?.startedAt ?? 0;
  const last = samples.at(-1)?.startedAt ?? first;
  const latencies = samples.map((s) => s.latencyMs);
  return {
    sent: samples.length,
    failed: failures.length,
    rate: last > first ? (samples.length - 1) / ((last - first) / 1000) : 0,
    p50Ms: percentile(latencies, 50),
    p99Ms: percentile(latencies, 99),
    p99InWindowsMs:
      windows.length > 0
        ? percentile(
            inWindows.map((s) => s.latencyMs),
            99,
          )
        : null,
    requestsInWindows: inWindows.length,
    bodies,
    failures: failures.slice(0, 10),
  };
}

/** One line for the test output and the README: sent, failed, latencies. */
export function formatSummary(summary: LoadSummary): string {
  const windowPart =
    summary.p99InWindowsMs === null
      ? ''
      : `, p99 during switches ${summary.p99InWindowsMs.toFixed(1)} ms (${summary.requestsInWindows} requests)`;
  return (
    `${summary.sent} requests at ${summary.rate.toFixed(0)}/s, ${summary.failed} failed, ` +
    `p50 ${summary.p50Ms.toFixed(1)} ms, p99 ${summary.p99Ms.toFixed(1)} ms${windowPart}`
  );
}
