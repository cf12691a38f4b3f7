import {
  BERTH_VERSION,
  MAX_FRAME_BYTES,
  PROTOCOL_VERSION,
  checkProtocolCompatibility,
  decodeControlPlaneMessage,
  type AgentMessageInput,
  type ControlPlaneMessage,
  type DockerInfo,
  type ErrorCode,
  type HeldJob,
  CLOSE_CODES,
} from '@berth/protocol';
import WebSocket from 'ws';
import type { Engine } from '../docker/engine.js';
import { describeError } from '../errors.js';
import type { Logger } from '../log.js';
import type { Now, Sleep } from '../time.js';
import type { AgentConnection } from './agent-connection.js';
import { runHeartbeatLoop } from './heartbeat-loop.js';
import { signChallenge, type AgentIdentity } from './identity.js';

export interface SessionOptions {
  /** `ws(s)://…/agent/v1/connect`. */
  url: URL;
  identity: AgentIdentity;
  connection: AgentConnection;
  docker: Engine;
  logger: Logger;
  signal: AbortSignal;
  now: Now;
  sleep: Sleep;
  heldJobs: () => HeldJob[];
  runningJobs: () => number;
  /** How long the control plane may take from socket open to `welcome`. */
  handshakeTimeoutMs: number;
}

/** How one socket ended, for the loop to classify and log. */
export interface SessionOutcome {
  welcomed: boolean;
  closeCode: number;
  closeReason: string;
  /** Why the agent ended the socket itself, or the socket error, when there was one. */
  failure?: { key: string; message: string };
  /** The last `error` message the control plane sent, which explains its close code. */
  peerError?: { code: ErrorCode; message: string };
  /** The control plane is pacing admissions: connect again after this many milliseconds. */
  retryAfterMs?: number;
}

type Phase = 'challenge' | 'welcome' | 'ready';

// The control plane sends these right before closing with a code; the loop logs the close.
const CLOSE_PRECURSORS = new Set<ErrorCode>(['SERVER_REVOKED', 'AUTH_FAILED', 'PROTOCOL_MISMATCH']);
const SHUTDOWN_GRACE_MS = 2_000;

class Session {
  readonly #o: SessionOptions;
  readonly #socket: WebSocket;
  readonly #ended = new AbortController();
  #phase: Phase = 'challenge';
  #lastSeenAt: number;
  readonly #outcome: SessionOutcome = { welcomed: false, closeCode: 1006, closeReason: '' };

  constructor(options: SessionOptions, resolve: (outcome: SessionOutcome) => void) {
    this.#o = options;
    this.#lastSeenAt = options.now();
    this.#socket = new WebSocket(options.url, {
      handshakeTimeout: options.handshakeTimeoutMs,
      maxPayload: MAX_FRAME_BYTES,
    });
    const seen = () => {
      this.#lastSeenAt = this.#o.now();
    };
    const onAbort = () => this.#shutdown();
    this.#socket.on('message', (data: Buffer) => {
      seen();
      this.#onFrame(data);
    });
    this.#socket.on('ping', seen);
    this.#socket.on('error', (err) => {
      this.#outcome.failure ??= { key: `error:${describeError(err)}`, message: describeError(err) };
    });
    this.#socket.on('close', (code, reason) => {
      options.signal.removeEventListener('abort', onAbort);
      this.#ended.abort();
      this.#outcome.closeCode = code;
      this.#outcome.closeReason = reason.toString('utf8');
      options.connection.detach(code, this.#outcome.closeReason);
      resolve(this.#outcome);
    });
    if (options.signal.aborted) this.#shutdown();
    else options.signal.addEventListener('abort', onAbort, { once: true });
    void this.#handshakeDeadline();
  }

  async #handshakeDeadline(): Promise<void> {
    await this.#o.sleep(this.#o.handshakeTimeoutMs, this.#ended.signal);
    if (this.#ended.signal.aborted || this.#phase === 'ready') return;
    this.#fail('handshake', `no welcome within ${this.#o.handshakeTimeoutMs} ms of connecting`);
  }

  #shutdown(): void {
    if (this.#socket.readyState === WebSocket.OPEN) {
      this.#socket.close(1001, 'agent shutting down');
      setTimeout(() => this.#socket.terminate(), SHUTDOWN_GRACE_MS).unref();
    } else {
      this.#socket.terminate();
    }
  }

  #fail(key: string, message: string): void {
    this.#outcome.failure ??= { key, message };
    this.#socket.terminate();
  }

  #sendRaw(message: AgentMessageInput): boolean {
    if (this.#socket.readyState !== WebSocket.OPEN) return false;
    this.#socket.send(JSON.stringify(message));
    return true;
  }

  #onFrame(data: Buffer): void {
    const decoded = decodeControlPlaneMessage(data);
    if (!decoded.ok) {
      this.#o.logger.warn(
        `ignored a bad frame from the control plane (${decoded.code}): ${decoded.error}`,
      );
      this.#sendRaw({
        type: 'error',
        code: decoded.code,
        message: decoded.error,
        ...(decoded.type ? { ref: decoded.type } : {}),
      });
      return;
    }
    this.#dispatch(decoded.message);
  }

  #dispatch(message: ControlPlaneMessage): void {
    const phase = this.#phase;
    switch (message.type) {
      case 'auth.challenge':
        if (phase !== 'challenge') return this.#unexpected(message.type);
        this.#phase = 'welcome';
        void this.#answerChallenge(message.nonce, message.protocolVersion);
        return;
      case 'connect.retry':
        if (phase !== 'challenge') return this.#unexpected(message.type);
        this.#outcome.retryAfterMs = message.afterMs;
        // The control plane closes the socket itself; this only makes sure it ends.
        this.#socket.close(1000, 'coming back later');
        return;
      case 'welcome':
        if (phase !== 'welcome') return this.#unexpected(message.type);
        this.#phase = 'ready';
        this.#onWelcome(message);
        return;
      case 'heartbeat.ack':
        if (phase !== 'ready') return this.#unexpected(message.type);
        this.#o.connection.recordHeartbeatAck(this.#o.now());
        return;
      case 'job.assign':
      case 'job.cancel':
      case 'job.ack':
      case 'log.ack':
      case 'container.logs':
      case 'container.logs.stop':
      case 'proxy.sync':
        if (phase !== 'ready') return this.#unexpected(message.type);
        return this.#o.connection.route(message);
      case 'error':
        this.#outcome.peerError = { code: message.code, message: message.message };
        if (phase === 'ready' && !CLOSE_PRECURSORS.has(message.code)) {
          const ref = message.ref ? ` (about ${message.ref})` : '';
          this.#o.logger.warn(
            `the control plane reported ${message.code}${ref}: ${message.message}`,
          );
        }
        return;
    }
  }

  #unexpected(type: string): void {
    const message = `"${type}" is not expected while the connection is in its ${this.#phase} phase`;
    this.#o.logger.warn(`ignored a frame from the control plane: ${message}`);
    this.#sendRaw({ type: 'error', code: 'UNEXPECTED_MESSAGE', message, ref: type });
  }

  async #dockerInfo(): Promise<DockerInfo> {
    const version = await this.#o.docker.version();
    return version === null ? null : { version };
  }

  async #answerChallenge(nonce: string, remoteVersion: string): Promise<void> {
    const compatibility = checkProtocolCompatibility(
      PROTOCOL_VERSION,
      remoteVersion,
      'control plane',
    );
    if (!compatibility.compatible) {
      const reason = compatibility.reason ?? `protocol ${remoteVersion} is not supported`;
      this.#sendRaw({ type: 'error', code: 'PROTOCOL_MISMATCH', message: reason });
      this.#outcome.failure ??= { key: 'protocol-mismatch', message: reason };
      // A close reason is limited to 123 bytes; the error frame above carries the whole sentence.
      this.#socket.close(CLOSE_CODES.protocolMismatch, 'protocol major version mismatch');
      return;
    }
    const { identity } = this.#o;
    this.#sendRaw({
      type: 'hello',
      agentId: identity.agentId,
      signature: signChallenge(identity, nonce),
      protocolVersion: PROTOCOL_VERSION,
      agentVersion: BERTH_VERSION,
      docker: await this.#dockerInfo(),
      jobs: this.#o.heldJobs(),
    });
  }

  #onWelcome(welcome: Extract<ControlPlaneMessage, { type: 'welcome' }>): void {
    this.#outcome.welcomed = true;
    this.#o.logger.info(
      `connected to the control plane as "${welcome.name}" (${this.#o.identity.agentId}); ` +
        `heartbeat every ${welcome.heartbeatIntervalMs} ms`,
    );
    this.#o.connection.attach(
      {
        send: (frame) => this.#socket.send(frame, { binary: false }),
        isOpen: () => this.#socket.readyState === WebSocket.OPEN,
      },
      welcome,
    );
    void runHeartbeatLoop({
      signal: this.#ended.signal,
      sleep: this.#o.sleep,
      intervalMs: welcome.heartbeatIntervalMs,
      beat: () => this.#beat(welcome.livenessTimeoutMs),
    });
  }

  async #beat(livenessTimeoutMs: number): Promise<void> {
    const silentMs = this.#o.now() - this.#lastSeenAt;
    if (silentMs > livenessTimeoutMs) {
      this.#fail(
        'liveness',
        `no frame from the control plane for ${silentMs} ms (liveness timeout ${livenessTimeoutMs} ms)`,
      );
      return;
    }
    if (this.#socket.readyState !== WebSocket.OPEN) return;
    // The heartbeat is the only liveness traffic: its ack (any frame) proves the control plane.
    const docker = await this.#dockerInfo();
    const sent = this.#sendRaw({
      type: 'heartbeat',
      sentAt: new Date(this.#o.now()).toISOString(),
      docker,
      runningJobs: this.#o.runningJobs(),
    });
    if (sent) this.#o.connection.recordHeartbeatSent();
  }
}

/** Runs one socket from connect to close: handshake, heartbeats, message routing. */
export function runSession(options: SessionOptions): Promise<SessionOutcome> {
  return new Promise((resolve) => {
    new Session(options, resolve);
  });
}
