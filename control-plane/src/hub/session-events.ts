import {
  BERTH_VERSION,
  MAX_FRAME_BYTES,
  PROTOCOL_VERSION,
  type AgentMessage,
  type ErrorCode,
} from '@berth/protocol';
import { isoTime } from '../clock.js';
import { describeError } from '../errors.js';
import type { AgentSession } from './agent-session.js';
import { authenticateHello, type AuthOutcome } from './authenticate.js';
import { ConnectionLog } from './connection-log.js';
import type { Hub, HubOptions } from './hub.js';
import type { SessionHost } from './session-host.js';

type Hello = Extract<AgentMessage, { type: 'hello' }>;

/** The hub's side of each session: store bookkeeping, replies, logs and metrics. */
export class SessionEvents implements SessionHost {
  readonly now: HubOptions['now'];
  readonly helloTimeoutMs: number;
  readonly maxBadFrames: number;
  readonly maxBufferedBytes: number;
  readonly #hub: Hub;
  readonly #options: HubOptions;
  /**
   * Every how many heartbeats one is acknowledged: as few writes as keep the agent hearing from
   * us within two thirds of its liveness timeout, a third to spare for delays. The first heartbeat
   * of a session is always acknowledged. With the defaults (5 s, 15 s): every second one.
   */
  readonly #ackEvery: number;
  readonly #connections: ConnectionLog;
  #ackAt = -1;
  #ackText = '';

  constructor(args: {
    hub: Hub;
    options: HubOptions;
    helloTimeoutMs: number;
    maxBadFrames: number;
    maxBufferedBytes: number;
  }) {
    this.#hub = args.hub;
    this.#options = args.options;
    this.now = args.options.now;
    this.helloTimeoutMs = args.helloTimeoutMs;
    this.maxBadFrames = args.maxBadFrames;
    this.maxBufferedBytes = args.maxBufferedBytes;
    this.#connections = new ConnectionLog(args.options.log, args.options.now);
    const { heartbeatIntervalMs, livenessTimeoutMs } = args.options;
    this.#ackEvery = Math.max(1, Math.floor((2 * livenessTimeoutMs) / 3 / heartbeatIntervalMs));
  }

  authenticate(hello: Hello, nonce: string): AuthOutcome {
    return authenticateHello(this.#options.store.servers, hello, nonce);
  }

  onAuthenticated(session: AgentSession, hello: Hello, server: { id: string; name: string }): void {
    this.#hub.register(session, hello);
    session.send({
      type: 'welcome',
      serverId: server.id,
      name: server.name,
      protocolVersion: PROTOCOL_VERSION,
      controlPlaneVersion: BERTH_VERSION,
      heartbeatIntervalMs: this.#options.heartbeatIntervalMs,
      livenessTimeoutMs: this.#options.livenessTimeoutMs,
      maxFrameBytes: MAX_FRAME_BYTES,
    });
    this.#connections.connected(
      `agent ${server.id} (${server.name}) connected: agent ${hello.agentVersion}, protocol ${hello.protocolVersion}`,
    );
    this.#background(
      this.#options.store.servers.markOnline(server.id, {
        agentVersion: hello.agentVersion,
        docker: hello.docker,
      }),
      `mark ${server.id} online`,
    );
  }

  onMessage(session: AgentSession, message: AgentMessage): void {
    const serverId = session.serverId;
    if (serverId === null) return;
    // Heartbeats and agent errors are the hub's own business; everything goes on to the listeners.
    if (message.type === 'heartbeat') {
      // The heartbeat is the one liveness mechanism: its ack is the agent's sign of our life.
      const docker = this.#options.store.servers.touch(serverId, message.docker);
      if (docker) this.#background(docker, `record the Docker state of ${serverId}`);
      if (session.heartbeatsSinceAck++ % this.#ackEvery === 0) session.sendText(this.#ack());
    } else if (message.type === 'error') {
      this.#options.log.warn(
        `agent ${serverId} reported ${message.code}: ${message.message.slice(0, 300)}`,
      );
    }
    this.#hub.dispatch(serverId, message);
  }

  onRejectedFrame(session: AgentSession, code: ErrorCode, message: string): void {
    this.#options.framesRejected.inc({ code });
    this.#options.log.warn(
      `${describeSession(session)}: refused frame (${code}): ${message.slice(0, 300)}`,
    );
  }

  onSocketError(session: AgentSession, err: Error): void {
    const code = (err as { code?: unknown }).code;
    if (code === 'WS_ERR_UNSUPPORTED_MESSAGE_LENGTH')
      this.#options.framesRejected.inc({ code: 'FRAME_TOO_LARGE' });
    this.#options.log.warn(`${describeSession(session)}: socket error: ${describeError(err)}`);
  }

  onHandlerError(session: AgentSession, err: unknown): void {
    this.#options.log.error(
      `${describeSession(session)}: frame handler failed: ${describeError(err)}`,
    );
  }

  onClosed(session: AgentSession, code: number): void {
    if (session.serverId !== null) {
      this.#connections.disconnected(`${describeSession(session)} disconnected (${code})`);
      this.#options.store.servers.seen(session.serverId, session.lastLifeAt);
    }
    this.#hub.forget(session, code);
  }

  onSlowConsumer(session: AgentSession, bufferedBytes: number): void {
    this.#options.log.warn(
      `${describeSession(session)} dropped: it reads too slowly (${bufferedBytes} bytes waiting, ` +
        `limit ${this.maxBufferedBytes}); it will reconnect and be sent what it missed`,
    );
  }

  /** One encoded ack per millisecond at most: a fleet's heartbeats share it. */
  #ack(): string {
    const at = this.now();
    if (at !== this.#ackAt) {
      this.#ackAt = at;
      this.#ackText = JSON.stringify({ type: 'heartbeat.ack', sentAt: isoTime(at) });
    }
    return this.#ackText;
  }

  #background(promise: Promise<unknown>, what: string): void {
    promise.catch((err: unknown) =>
      this.#options.log.error(`could not ${what}: ${describeError(err)}`),
    );
  }
}

function describeSession(session: AgentSession): string {
  return session.serverId === null ? 'unauthenticated agent' : `agent ${session.serverId}`;
}
