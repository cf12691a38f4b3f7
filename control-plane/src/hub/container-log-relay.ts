import { randomBytes } from 'node:crypto';
import type { AgentMessage, ContainerLogLine } from '@berth/protocol';
import type { AgentSessions } from './hub.js';

type LinesMessage = Extract<AgentMessage, { type: 'container.logs.lines' }>;

export interface ContainerLogListener {
  onLines(lines: ContainerLogLine[]): void;
  onEnd(error?: string): void;
}

/** Asks agents for a service's container output and routes the answers to the waiting request. */
export class ContainerLogRelay {
  readonly #open = new Map<string, { serverId: string; listener: ContainerLogListener }>();

  constructor(private readonly sessions: Pick<AgentSessions, 'send'>) {}

  /** Returns a function that stops the stream; false when the server is not connected. */
  open(
    request: { serverId: string; serviceId: string; tail: number; follow: boolean },
    listener: ContainerLogListener,
  ): (() => void) | false {
    const requestId = randomBytes(9).toString('base64url');
    this.#open.set(requestId, { serverId: request.serverId, listener });
    const sent = this.sessions.send(request.serverId, {
      type: 'container.logs',
      requestId,
      serviceId: request.serviceId,
      tail: request.tail,
      follow: request.follow,
    });
    if (!sent) {
      this.#open.delete(requestId);
      return false;
    }
    return () => {
      if (this.#open.delete(requestId)) {
        this.sessions.send(request.serverId, { type: 'container.logs.stop', requestId });
      }
    };
  }

  handle(serverId: string, message: LinesMessage): void {
    const entry = this.#open.get(message.requestId);
    if (!entry || entry.serverId !== serverId) return;
    if (message.lines.length > 0) entry.listener.onLines(message.lines);
    if (message.done) {
      this.#open.delete(message.requestId);
      entry.listener.onEnd(message.error);
    }
  }

  /** The agent's socket closed: its streams end. */
  closeServer(serverId: string): void {
    for (const [id, entry] of this.#open) {
      if (entry.serverId !== serverId) continue;
      this.#open.delete(id);
      entry.listener.onEnd('the server disconnected');
    }
  }
}
