import type { AgentMessage } from '@berth/protocol';
import { describeError } from '../errors.js';
import type { Logger } from '../log.js';

/**
 * Frames routed after the handshake. `hello` only ever opens a session, and the hub answers
 * heartbeats itself, since the ack belongs to the socket that sent them.
 */
export type RoutedType = Exclude<AgentMessage['type'], 'hello' | 'heartbeat'>;
export type AgentMessageOf<T extends AgentMessage['type']> = Extract<AgentMessage, { type: T }>;
export type AgentHandler<T extends RoutedType> = (
  serverId: string,
  message: AgentMessageOf<T>,
) => void | Promise<void>;
/** Handlers keyed by message type: at most one owner per type. */
export type AgentHandlers = { [T in RoutedType]?: AgentHandler<T> };

/**
 * The route table for agent frames. Each message type has one handler, so it is plain which
 * code owns which frame; a type nobody handles is dropped. A failing handler is logged and never
 * reaches the socket code.
 */
export class AgentRoutes {
  readonly #handlers: AgentHandlers = {};
  readonly #log: Logger;

  constructor(log: Logger) {
    this.#log = log;
  }

  /** Adds handlers; a type that already has one is a wiring bug and throws. */
  add(handlers: AgentHandlers): void {
    for (const type of Object.keys(handlers) as RoutedType[]) {
      if (this.#handlers[type]) throw new Error(`agent "${type}" frames already have a handler`);
    }
    Object.assign(this.#handlers, handlers);
  }

  route(serverId: string, message: AgentMessageOf<RoutedType>): void {
    try {
      const result = callHandler(this.#handlers, serverId, message);
      if (result instanceof Promise) {
        result.catch((err: unknown) => this.#failed(message.type, err));
      }
    } catch (err) {
      this.#failed(message.type, err);
    }
  }

  #failed(type: RoutedType, err: unknown): void {
    this.#log.error(`the "${type}" handler failed: ${describeError(err)}`);
  }
}

/** Calls the handler for the message's type, if there is one, and returns what it returns. */
export function callHandler(
  handlers: AgentHandlers,
  serverId: string,
  message: AgentMessageOf<RoutedType>,
): void | Promise<void> {
  // The union of handler types cannot be narrowed by `message.type` alone.
  const handler = handlers[message.type] as AgentHandler<RoutedType> | undefined;
  return handler?.(serverId, message);
}
