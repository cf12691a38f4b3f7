import type { AgentMessageInput, ContainerLogLine } from '@berth/protocol';
import { LABELS, type Engine } from '../docker/engine.js';

const FLUSH_MS = 100;
const BATCH_LINES = 500;
/** Frame budget for one batch, in bytes; well below the control plane's frame limit. */
const BATCH_BYTES = 512 * 1024;

export interface ContainerLogsDeps {
  engine: Engine;
  send(message: AgentMessageInput): boolean;
}

/** Streams a service's container output to the control plane on request. */
export class ContainerLogs {
  private readonly active = new Map<string, AbortController>();

  constructor(private readonly deps: ContainerLogsDeps) {}

  handleRequest(request: {
    requestId: string;
    serviceId: string;
    tail: number;
    follow: boolean;
  }): void {
    const controller = new AbortController();
    this.active.get(request.requestId)?.abort();
    this.active.set(request.requestId, controller);
    void this.stream(request, controller.signal).finally(() => {
      if (this.active.get(request.requestId) === controller) this.active.delete(request.requestId);
    });
  }

  handleStop(requestId: string): void {
    this.active.get(requestId)?.abort();
    this.active.delete(requestId);
  }

  /** The socket went away: nobody is listening any more. */
  stopAll(): void {
    for (const controller of this.active.values()) controller.abort();
    this.active.clear();
  }

  private async stream(
    request: { requestId: string; serviceId: string; tail: number; follow: boolean },
    signal: AbortSignal,
  ): Promise<void> {
    const { engine, send } = this.deps;
    const containers = await engine
      .listContainers({ [LABELS.service]: request.serviceId })
      .catch(() => []);
    const byNumber = (c: { labels: Record<string, string> }) =>
      Number(c.labels[LABELS.number] ?? 0);
    const container =
      containers.find((c) => c.state === 'running') ??
      [...containers].sort((a, b) => byNumber(b) - byNumber(a))[0];
    if (!container) {
      send({
        type: 'container.logs.lines',
        requestId: request.requestId,
        lines: [],
        done: true,
        error: 'The service has no container on its server',
      });
      return;
    }
    let pending: ContainerLogLine[] = [];
    let pendingBytes = 0;
    const flush = (done = false, error?: string) => {
      pendingBytes = 0;
      if (pending.length === 0 && !done) return;
      send({
        type: 'container.logs.lines',
        requestId: request.requestId,
        lines: pending,
        done,
        ...(error ? { error } : {}),
      });
      pending = [];
    };
    const timer = setInterval(() => flush(), FLUSH_MS);
    try {
      await engine.followLogs(container.id, {
        tail: request.tail,
        follow: request.follow,
        signal,
        onLine: ({ ts, stream, text, continued }) => {
          const line: ContainerLogLine = continued
            ? { ts, stream, text, continued: true }
            : { ts, stream, text };
          const bytes = Buffer.byteLength(JSON.stringify(line));
          if (pendingBytes + bytes > BATCH_BYTES) flush();
          pending.push(line);
          pendingBytes += bytes;
          if (pending.length >= BATCH_LINES) flush();
        },
      });
      if (!signal.aborted) flush(true);
    } catch (err) {
      if (!signal.aborted) flush(true, err instanceof Error ? err.message : String(err));
    } finally {
      clearInterval(timer);
    }
  }
}
