import { protocolAtLeast, type AgentMessageInput, type ControlPlaneMessage } from '@berth/protocol';
import { describeError } from '../errors.js';
import type { Logger } from '../log.js';
import { legacyLogBatches } from '../logs/legacy-batch.js';

type MessageOf<T extends ControlPlaneMessage['type']> = Extract<ControlPlaneMessage, { type: T }>;

/** Messages the connection handles itself; every other type is handed on as an event. */
type SessionMessageType =
  'auth.challenge' | 'connect.retry' | 'welcome' | 'heartbeat.ack' | 'error';

/** Control-plane messages for the rest of the agent (`job.assign`, `job.cancel`, `log.ack`, …). */
export type RoutedMessage = Exclude<ControlPlaneMessage, { type: SessionMessageType }>;

/** What the connection reports to the rest of the agent. */
export type ConnectionEventMap = { [M in RoutedMessage as M['type']]: M } & {
  /** The control plane welcomed this agent; unacknowledged work can be resent now. */
  connected: MessageOf<'welcome'>;
  disconnected: { code: number; reason: string };
};

export type ConnectionEvent = keyof ConnectionEventMap;

/** The live state of the link, read by the status port. */
export interface ConnectionState {
  connected: boolean;
  /** When the last `heartbeat.ack` arrived, in ms since the epoch. */
  lastHeartbeatAt: number | null;
  /** Why the agent is not connected, in words a person can act on. */
  lastError: string | null;
  reconnectsTotal: number;
  heartbeatsTotal: number;
}

/** The socket as the connection needs it; the session hands over a real `ws` socket. */
export interface FrameSink {
  /** Sends a text frame: a string, or its UTF-8 bytes. */
  send(frame: string | Buffer): void;
  isOpen(): boolean;
}

type Handler<K extends ConnectionEvent> = (payload: ConnectionEventMap[K]) => void;

/**
 * The agent's handle on its control-plane link. It outlives each socket: the job runner
 * subscribes once and keeps its handlers across reconnects.
 */
export class AgentConnection {
  readonly #logger: Logger;
  readonly #handlers = new Map<ConnectionEvent, Set<Handler<ConnectionEvent>>>();
  #sink: FrameSink | null = null;
  #maxFrameBytes = Infinity;
  /** The protocol the welcoming control plane speaks. */
  #peerProtocol = '0.0';
  readonly #state: ConnectionState = {
    connected: false,
    lastHeartbeatAt: null,
    lastError: null,
    reconnectsTotal: 0,
    heartbeatsTotal: 0,
  };

  constructor(logger: Logger) {
    this.#logger = logger;
  }

  get state(): Readonly<ConnectionState> {
    return this.#state;
  }

  /** Subscribes to an event; returns the function that unsubscribes. */
  on<K extends ConnectionEvent>(event: K, handler: Handler<K>): () => void {
    const set = this.#handlers.get(event) ?? new Set();
    set.add(handler as Handler<ConnectionEvent>);
    this.#handlers.set(event, set);
    return () => set.delete(handler as Handler<ConnectionEvent>);
  }

  /**
   * Sends a message to the control plane. Returns false when there is no welcomed socket
   * (the caller keeps the message and retries after `connected`) or the frame is too large.
   */
  send(message: AgentMessageInput): boolean {
    if (!this.#state.connected || !this.#sink?.isOpen()) return false;
    return this.sendEncoded(message.type, JSON.stringify(message));
  }

  /**
   * Sends a `log.runs` frame built from spooled runs. A control plane older than protocol
   * 1.3 gets the same lines as `log.batch` frames. False when any frame could not go; the
   * control plane drops lines it already has when they come again.
   */
  sendLogRuns(frame: Buffer): boolean {
    if (protocolAtLeast(this.#peerProtocol, '1.3')) return this.sendEncoded('log.runs', frame);
    return legacyLogBatches(frame).every((batch) => this.sendEncoded('log.batch', batch));
  }

  /**
   * Sends a frame already encoded by the protocol's encoders (a log batch built from
   * spooled lines), under the same rules as {@link send}.
   */
  sendEncoded(type: AgentMessageInput['type'], frame: string | Buffer): boolean {
    if (!this.#state.connected || !this.#sink?.isOpen()) return false;
    const bytes = typeof frame === 'string' ? Buffer.byteLength(frame) : frame.length;
    if (bytes > this.#maxFrameBytes) {
      this.#logger.error(
        `not sending a ${type} frame of ${bytes} bytes: ` +
          `the control plane accepts at most ${this.#maxFrameBytes}`,
      );
      return false;
    }
    this.#sink.send(frame);
    return true;
  }

  // ----- used by the session -----

  /** Hands a decoded message to its subscribers. */
  route(message: RoutedMessage): void {
    // The map is keyed by each message's own type, so the pair always matches.
    this.emit(message.type, message as never);
  }

  emit<K extends ConnectionEvent>(event: K, payload: ConnectionEventMap[K]): void {
    for (const handler of this.#handlers.get(event) ?? []) {
      try {
        handler(payload);
      } catch (err) {
        this.#logger.error(`a ${event} handler failed: ${describeError(err)}`);
      }
    }
  }

  attach(sink: FrameSink, welcome: MessageOf<'welcome'>): void {
    this.#sink = sink;
    this.#maxFrameBytes = welcome.maxFrameBytes;
    this.#peerProtocol = welcome.protocolVersion;
    this.#state.connected = true;
    this.#state.lastError = null;
    this.emit('connected', welcome);
  }

  detach(code: number, reason: string): void {
    const wasConnected = this.#state.connected;
    this.#sink = null;
    this.#state.connected = false;
    if (wasConnected) this.emit('disconnected', { code, reason });
  }

  recordHeartbeatSent(): void {
    this.#state.heartbeatsTotal += 1;
  }

  recordHeartbeatAck(at: number): void {
    this.#state.lastHeartbeatAt = at;
  }

  recordReconnect(): void {
    this.#state.reconnectsTotal += 1;
  }

  recordError(message: string): void {
    this.#state.lastError = message;
  }
}
