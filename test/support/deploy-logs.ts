import type { LogLine } from '@berth/protocol';
import type { ControlPlane } from './processes.js';

export type { LogLine };

interface HasControlPlane {
  cp: Pick<ControlPlane, 'url' | 'token'>;
}

/** `GET /deployments/:id/logs?after=`: the NDJSON log, one parsed object per line. */
export async function readLog(
  stage: HasControlPlane,
  deploymentId: string,
  after?: number,
): Promise<LogLine[]> {
  const query = after === undefined ? '' : `?after=${after}`;
  const res = await fetch(`${stage.cp.url}/api/v1/deployments/${deploymentId}/logs${query}`, {
    headers: { authorization: `Bearer ${stage.cp.token}` },
  });
  const text = await res.text();
  if (res.status !== 200) throw new Error(`logs of ${deploymentId}: ${res.status} ${text}`);
  return text
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => JSON.parse(line) as LogLine);
}

/** The log as a person reads it, for failure messages. */
export function formatLog(lines: LogLine[]): string {
  return lines
    .map((l) => `${String(l.seq).padStart(4)} ${l.stream.padEnd(6)} ${l.text}`)
    .join('\n');
}

/** The texts of the lines of one stream. */
export function textsOf(lines: LogLine[], stream: LogLine['stream']): string[] {
  return lines.filter((l) => l.stream === stream).map((l) => l.text);
}

/**
 * A line's text as the program printed it: trimmed, and without the
 * `#<step> <seconds> ` prefix BuildKit puts before a RUN step's output.
 */
export function printedText(line: LogLine): string {
  const text = line.text.trim();
  return line.stream === 'build' ? text.replace(/^#\d+ \d+(\.\d+)? /, '') : text;
}

/** Whether a line of the stream is exactly `text` as printed (see {@link printedText}). */
export function hasLine(lines: LogLine[], stream: LogLine['stream'], text: string): boolean {
  return lines.some((l) => l.stream === stream && printedText(l) === text);
}

/** Fails unless the sequence numbers are exactly 1, 2, 3… n. */
export function expectContiguous(lines: LogLine[]): void {
  const seqs = lines.map((l) => l.seq);
  const wanted = seqs.map((_, i) => i + 1);
  if (seqs.length === 0 || seqs.some((seq, i) => seq !== wanted[i])) {
    throw new Error(`log sequence numbers are not 1..${seqs.length}: ${seqs.join(',')}`);
  }
}

export interface SseEvent {
  event: string;
  data: string;
  /** Date.now() when the event arrived. */
  receivedAt: number;
}

/** A live `?follow=1` stream of a deployment's log. */
export class LogFollower {
  readonly events: SseEvent[] = [];
  status = 0;
  contentType = '';
  /** Resolves with the `event: end` data, or null when the stream closed without one. */
  readonly end: Promise<{ status: string } | null>;
  /** Resolves when the response body has closed. */
  readonly closed: Promise<void>;
  private readonly abort = new AbortController();
  private resolveEnd!: (value: { status: string } | null) => void;

  constructor(stage: HasControlPlane, deploymentId: string) {
    this.end = new Promise((resolve) => (this.resolveEnd = resolve));
    this.closed = this.read(stage, deploymentId).finally(() => this.resolveEnd(null));
  }

  /** The `event: line` payloads received so far. */
  get lines(): LogLine[] {
    return this.events.filter((e) => e.event === 'line').map((e) => JSON.parse(e.data) as LogLine);
  }

  close(): void {
    this.abort.abort();
  }

  /** Whether the server closed the stream within the time given. */
  async closedWithin(timeoutMs: number): Promise<boolean> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<false>((resolve) => {
      timer = setTimeout(() => resolve(false), timeoutMs);
    });
    const closed = await Promise.race([this.closed.then(() => true as const), timeout]);
    clearTimeout(timer);
    return closed;
  }

  private async read(stage: HasControlPlane, deploymentId: string): Promise<void> {
    let res: Response;
    try {
      res = await fetch(`${stage.cp.url}/api/v1/deployments/${deploymentId}/logs?follow=1`, {
        headers: { authorization: `Bearer ${stage.cp.token}`, accept: 'text/event-stream' },
        signal: this.abort.signal,
      });
    } catch {
      return;
    }
    this.status = res.status;
    this.contentType = res.headers.get('content-type') ?? '';
    if (!res.body) return;
    const decoder = new TextDecoder();
    let buffer = '';
    try {
      for await (const chunk of res.body) {
        buffer += decoder.decode(chunk as Uint8Array, { stream: true });
        const blocks = buffer.split(/\r?\n\r?\n/);
        buffer = blocks.pop() ?? '';
        for (const block of blocks) this.onBlock(block);
      }
    } catch {
      // aborted by close(), or the server cut the stream: what arrived is kept
    }
    if (buffer.trim()) this.onBlock(buffer);
  }

  private onBlock(block: string): void {
    let event = 'message';
    const data: string[] = [];
    for (const line of block.split(/\r?\n/)) {
      if (line.startsWith(':')) continue; // a comment, e.g. a keep-alive
      const colon = line.indexOf(':');
      const field = colon === -1 ? line : line.slice(0, colon);
      const value = colon === -1 ? '' : line.slice(colon + 1).replace(/^ /, '');
      if (field === 'event') event = value;
      else if (field === 'data') data.push(value);
    }
    if (data.length === 0 && event === 'message') return;
    const parsed: SseEvent = { event, data: data.join('\n'), receivedAt: Date.now() };
    this.events.push(parsed);
    if (event === 'end') this.resolveEnd(JSON.parse(parsed.data) as { status: string });
  }
}
