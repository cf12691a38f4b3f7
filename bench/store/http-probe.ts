// Sequential timed HTTP requests against the control plane, with a warm-up.
import { percentile } from './figures.js';

export interface Latency {
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
  samples: number;
}

export interface ProbeRequest {
  method?: 'GET' | 'POST';
  path: string;
  body?: unknown;
  /** The status every answer must have. */
  status: number;
}

export class HttpProbe {
  readonly #url: string;
  readonly #token: string;

  constructor(url: string, token: string) {
    this.#url = url;
    this.#token = token;
  }

  /** One request, body read to the end; resolves with the parsed JSON and the time it took. */
  async call<T = unknown>(request: ProbeRequest): Promise<{ ms: number; json: T }> {
    const started = performance.now();
    const res = await fetch(`${this.#url}${request.path}`, {
      method: request.method ?? 'GET',
      headers: {
        authorization: `Bearer ${this.#token}`,
        ...(request.body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      ...(request.body === undefined ? {} : { body: JSON.stringify(request.body) }),
    });
    const text = await res.text();
    const ms = performance.now() - started;
    if (res.status !== request.status) {
      throw new Error(
        `${request.method ?? 'GET'} ${request.path} answered ${res.status}, not ${request.status}: ${text.slice(0, 300)}`,
      );
    }
    return { ms, json: JSON.parse(text) as T };
  }

  /** `warmup` untimed calls, then `samples` timed ones, one after another. */
  async latency(request: ProbeRequest, options: { warmup: number; samples: number }) {
    for (let i = 0; i < options.warmup; i += 1) await this.call(request);
    const times: number[] = [];
    for (let i = 0; i < options.samples; i += 1) times.push((await this.call(request)).ms);
    return {
      p50Ms: percentile(times, 0.5),
      p99Ms: percentile(times, 0.99),
      maxMs: Math.max(...times),
      samples: times.length,
    } satisfies Latency;
  }
}
