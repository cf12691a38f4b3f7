import { randomBytes } from 'node:crypto';
import {
  CLOSE_CODES,
  PROTOCOL_VERSION,
  checkProtocolCompatibility,
  decodeAgentMessage,
  type AgentMessage,
  type ControlPlaneMessage,
  type ErrorCode,
} from '@berth/protocol';
import type { RawData, WebSocket } from 'ws';
import type { Now } from '../clock.js';
import type { AuthOutcome } from './authenticate.js';

type Hello = Extract<AgentMessage, { type: 'hello' }>;

/** What a session needs from its owner, the hub. */
export interface SessionHost {
  now: Now;
  helloTimeoutMs: number;
  maxBadFrames: number;
  /** Most bytes one socket may have queued; a slower reader is dropped. */
  maxBufferedBytes: number;
  authenticate(hello: Hello, nonce: string): AuthOutcome;
  onAuthenticated(session: AgentSession, hello: Hello, server: { id: string; name: string }): void;
  /** Every valid frame after the handshake; a second `hello` is refused before it gets here. */
  onMessage(session: AgentSession, message: Exclude<AgentMessage, Hello>): void;
  onRejectedFrame(session: AgentSession, code: ErrorCode, message: string): void;
  onSocketError(session: AgentSession, err: Error): void;
  onHandlerError(session: AgentSession, err: unknown): void;
  onClosed(session: AgentSession, code: number): void;
  onSlowConsumer(session: AgentSession, bufferedBytes: number): void;
}

// A peer that does not finish the close handshake within this long is cut off.
const CLOSE_GRACE_MS = 2000;

/** One agent socket: the challenge handshake, then validated frames handed to the host. */
export class AgentSession {
  readonly nonce = randomBytes(24).toString('base64url');
  serverId: string | null = null;
  /** Heartbeats received since the last one acknowledged (see HeartbeatAck). */
  heartbeatsSinceAck = 0;
  /** When the peer last sent a frame, in ms since the epoch. */
  lastLifeAt: number;
  readonly #ws: WebSocket;
  readonly #host: SessionHost;
  readonly #helloTimer: NodeJS.Timeout;
  #badFrames = 0;
  #closing = false;
  /** The code this side closed with; reported instead of whatever the peer echoes. */
  #closeCode: number | null = null;

  constructor(ws: WebSocket, host: SessionHost) {
    this.#ws = ws;
    this.#host = host;
    this.lastLifeAt = host.now();
    ws.on('message', (data, isBinary) => this.#guard(() => this.#onFrame(data, isBinary)));
    ws.on('error', (err) => this.#host.onSocketError(this, err));
    ws.on('close', (code) => this.#guard(() => this.#onClose(code)));
    this.#helloTimer = setTimeout(
      () =>
        this.close(
          CLOSE_CODES.authFailed,
          'AUTH_FAILED',
          `no "hello" within ${host.helloTimeoutMs} ms of the challenge`,
        ),
      host.helloTimeoutMs,
    );
    this.send({ type: 'auth.challenge', nonce: this.nonce, protocolVersion: PROTOCOL_VERSION });
  }

  get authenticated(): boolean {
    return this.serverId !== null;
  }

  send(message: ControlPlaneMessage): boolean {
    return this.sendText(JSON.stringify(message));
  }

  /**
   * Sends an encoded frame. An agent that reads so slowly that its socket would buffer more than
   * `maxBufferedBytes` is cut off instead, so it cannot grow this process's memory.
   */
  sendText(text: string): boolean {
    if (this.#closing || this.#ws.readyState !== this.#ws.OPEN) return false;
    const buffered = this.#ws.bufferedAmount;
    if (buffered + text.length > this.#host.maxBufferedBytes) {
      this.#drop(buffered);
      return false;
    }
    this.#ws.send(text, (err) => {
      if (err) this.#host.onSocketError(this, err);
    });
    return true;
  }

  /** Bytes queued for this socket and not yet taken by the kernel. */
  get bufferedBytes(): number {
    return this.#ws.bufferedAmount;
  }

  /**
   * Sends an `error` saying why, then closes with `closeCode`. Without `errorCode` the close
   * reason alone says it: one write less, for closing a whole fleet at shutdown.
   */
  close(closeCode: number, errorCode: ErrorCode | null, message: string): void {
    if (this.#closing) return;
    if (errorCode !== null) this.send({ type: 'error', code: errorCode, message });
    this.#closing = true;
    this.#closeCode = closeCode;
    clearTimeout(this.#helloTimer);
    this.#ws.close(closeCode, closeReason(message));
    setTimeout(() => this.#ws.terminate(), CLOSE_GRACE_MS).unref();
  }

  /** Cuts the socket without a close handshake. */
  terminate(): void {
    this.#closing = true;
    clearTimeout(this.#helloTimer);
    this.#ws.terminate();
  }

  #drop(buffered: number): void {
    this.#closing = true;
    this.#closeCode = CLOSE_CODES.slowConsumer;
    clearTimeout(this.#helloTimer);
    this.#host.onSlowConsumer(this, buffered);
    // The peer is not reading, so a close frame would only queue behind the rest.
    this.#ws.terminate();
  }

  #guard(handler: () => void): void {
    try {
      handler();
    } catch (err) {
      this.#host.onHandlerError(this, err);
    }
  }

  #onFrame(data: RawData, isBinary: boolean): void {
    if (this.#closing) return;
    // Any frame is a sign of life; the liveness loop reads this number, nothing is written.
    this.lastLifeAt = this.#host.now();
    if (isBinary) {
      this.#reject('MALFORMED_FRAME', 'binary frames are not accepted; send JSON text frames');
      return;
    }
    const text = toBuffer(data).toString('utf8');
    if (!this.serverId) {
      this.#onFirstFrame(text);
      return;
    }
    const decoded = decodeAgentMessage(text);
    if (!decoded.ok) {
      this.#reject(decoded.code, decoded.error, decoded.type);
      return;
    }
    if (decoded.message.type === 'hello') {
      this.#reject('UNEXPECTED_MESSAGE', 'this session is already authenticated', 'hello');
      return;
    }
    this.#badFrames = 0;
    this.#host.onMessage(this, decoded.message);
  }

  #onFirstFrame(text: string): void {
    const version = peekHelloVersion(text);
    if (version !== null) {
      const compatibility = checkProtocolCompatibility(PROTOCOL_VERSION, version, 'agent');
      if (!compatibility.compatible) {
        this.#refuse(CLOSE_CODES.protocolMismatch, 'PROTOCOL_MISMATCH', compatibility.reason ?? '');
        return;
      }
    }
    const decoded = decodeAgentMessage(text);
    if (!decoded.ok) {
      this.#refuse(
        CLOSE_CODES.authFailed,
        decoded.code,
        `${decoded.error}; the first frame must be "hello"`,
      );
      return;
    }
    if (decoded.message.type !== 'hello') {
      const message = `"${decoded.message.type}" before authentication; the first frame must be "hello"`;
      this.#refuse(CLOSE_CODES.authFailed, 'UNEXPECTED_MESSAGE', message);
      return;
    }
    this.#authenticate(decoded.message);
  }

  #authenticate(hello: Hello): void {
    const outcome: AuthOutcome = this.#host.authenticate(hello, this.nonce);
    if (!outcome.ok) {
      this.#refuse(outcome.closeCode, outcome.errorCode, outcome.message);
      return;
    }
    clearTimeout(this.#helloTimer);
    this.serverId = outcome.server.id;
    this.#host.onAuthenticated(this, hello, outcome.server);
  }

  #reject(code: ErrorCode, message: string, ref?: string): void {
    this.#host.onRejectedFrame(this, code, message);
    this.#badFrames += 1;
    if (this.#badFrames >= this.#host.maxBadFrames) {
      this.close(
        CLOSE_CODES.tooManyBadFrames,
        code,
        `${this.#badFrames} bad frames in a row; last: ${message}`,
      );
      return;
    }
    this.send({ type: 'error', code, message, ...(ref === undefined ? {} : { ref }) });
  }

  #refuse(closeCode: number, code: ErrorCode, message: string): void {
    this.#host.onRejectedFrame(this, code, message);
    this.close(closeCode, code, message);
  }

  #onClose(code: number): void {
    this.#closing = true;
    clearTimeout(this.#helloTimer);
    this.#host.onClosed(this, this.#closeCode ?? code);
  }
}

function toBuffer(data: RawData): Buffer {
  if (Buffer.isBuffer(data)) return data;
  if (Array.isArray(data)) return Buffer.concat(data);
  return Buffer.from(data);
}

/** The protocol version of a hello, read before full validation so a newer shape gets a clear answer. */
function peekHelloVersion(text: string): string | null {
  try {
    const value = JSON.parse(text) as unknown;
    if (typeof value !== 'object' || value === null) return null;
    const { type, protocolVersion } = value as { type?: unknown; protocolVersion?: unknown };
    return type === 'hello' && typeof protocolVersion === 'string'
      ? protocolVersion.slice(0, 64)
      : null;
  } catch {
    return null;
  }
}

/** WebSocket close reasons are limited to 123 bytes. */
function closeReason(message: string): string {
  const buffer = Buffer.from(message, 'utf8');
  return buffer.length <= 123
    ? message
    : buffer
        .subarray(0, 120)
        .toString('utf8')
        .replace(/\uFFFD$/, '') + '...';
}
