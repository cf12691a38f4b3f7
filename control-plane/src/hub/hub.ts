import type { IncomingMessage, Server } from 'node:http';
import type { Duplex } from 'node:stream';
import {
  AGENT_PATHS,
  BERTH_VERSION,
  CLOSE_CODES,
  MAX_FRAME_BYTES,
  PROTOCOL_VERSION,
  type AgentMessage,
  type ControlPlaneMessage,
  type ErrorCode,
} from '@berth/protocol';
import { setImmediate as yieldToLoop } from 'node:timers/promises';
import { WebSocketServer, type WebSocket } from 'ws';
import type { Now } from '../clock.js';
import { describeError } from '../errors.js';
import type { Logger } from '../log.js';
import type { Counter } from '../metrics/registry.js';
import type { Store } from '../store/store.js';
import { Admission } from './admission.js';
import { AgentRoutes, type AgentHandlers, type AgentMessageOf } from './agent-routes.js';
import { AgentSession, type SessionHost } from './agent-session.js';
import { authenticateHello } from './authenticate.js';
import { ConnectionLog } from './connection-log.js';
import { describeSession, sessionWarnings } from './session-warnings.js';
import { HeartbeatAck } from './heartbeat-ack.js';
import { Listeners } from './listeners.js';

type Hello = Extract<AgentMessage, { type: 'hello' }>;

export interface HubOptions {
  store: Store;
  now: Now;
  log: Logger;
  framesRejected: Counter;
  heartbeatIntervalMs: number;
  livenessTimeoutMs: number;
  /** How long a new socket may take to send `hello`, in milliseconds. */
  helloTimeoutMs?: number;
  /** Consecutive bad frames tolerated before the socket is closed. */
  maxBadFrames?: number;
  /** Handshakes in flight at once; later sockets are told to come back (see Admission). */
  maxPendingHandshakes?: number;
  /** Most bytes queued for one socket before its agent is dropped as too slow. */
  maxBufferedBytes?: number;
  /** In [0, 1), like Math.random. */
  random?: () => number;
}

/** Sessions handled per turn of the event loop when acting on all of them. */
export const SESSION_CHUNK = 500;
const DEFAULT_MAX_PENDING_HANDSHAKES = 256;
// Twice the largest frame: a healthy agent never has more than a frame or two in flight.
const DEFAULT_MAX_BUFFERED_BYTES = 2 * MAX_FRAME_BYTES;
const RETRY_CLOSE_GRACE_MS = 2000;
/** At shutdown, sockets still open this long after their close frame are cut, in ms. */
const SHUTDOWN_GRACE_MS = 1000;

/** What the HTTP layer and the loops need from the hub. */
export interface AgentSessions {
  isConnected(serverId: string): boolean;
  send(serverId: string, message: ControlPlaneMessage): boolean;
  disconnect(serverId: string, closeCode: DisconnectCode, reason: string): boolean;
  sessionCount(): number;
}

/** The error code sent just before each close code `disconnect` may use. */
const ERROR_FOR_CLOSE = {
  [CLOSE_CODES.revoked]: 'SERVER_REVOKED',
  [CLOSE_CODES.authFailed]: 'AUTH_FAILED',
  [CLOSE_CODES.protocolMismatch]: 'PROTOCOL_MISMATCH',
  [CLOSE_CODES.replaced]: 'CONFLICT',
  [CLOSE_CODES.livenessTimeout]: 'TIMEOUT',
  [CLOSE_CODES.tooManyBadFrames]: 'MALFORMED_FRAME',
} as const satisfies Record<number, ErrorCode>;
export type DisconnectCode = keyof typeof ERROR_FOR_CLOSE;

/**
 * The agent WebSocket endpoint and the one owner of agent sessions: it admits and authenticates
 * sockets, keeps one session per server identity, answers heartbeats, and routes every other
 * frame by its type to the handler registered for it (see `handle`).
 */
export class Hub implements AgentSessions {
  readonly #options: HubOptions;
  readonly #wss = new WebSocketServer({ noServer: true, maxPayload: MAX_FRAME_BYTES });
  readonly #all = new Set<AgentSession>();
  readonly #byServer = new Map<string, AgentSession>();
  readonly #host: SessionHost;
  readonly #routes: AgentRoutes;
  readonly #acks: HeartbeatAck;
  readonly #connections: ConnectionLog;
  readonly #opened: Listeners<[serverId: string, hello: Hello]>;
  readonly #welcomed: Listeners<[serverId: string, hello: Hello]>;
  readonly #closed: Listeners<[serverId: string, closeCode: number]>;
  readonly #admission: Admission;
  /** Sessions admitted and not yet authenticated, as counted by the admission. */
  readonly #handshaking = new WeakSet<AgentSession>();
  #deferred = 0;
  #shuttingDown = false;

  constructor(options: HubOptions) {
    this.#options = options;
    const { log, now } = options;
    this.#admission = new Admission({
      now,
      random: options.random ?? Math.random,
      maxPendingHandshakes: options.maxPendingHandshakes ?? DEFAULT_MAX_PENDING_HANDSHAKES,
    });
    this.#routes = new AgentRoutes(log);
    this.#acks = new HeartbeatAck(options);
    this.#connections = new ConnectionLog(log, now);
    this.#opened = new Listeners('session open', log);
    this.#welcomed = new Listeners('session welcome', log);
    this.#closed = new Listeners('session close', log);
    this.#host = this.#sessionHost();
    // Agent errors are the hub's own business, as are heartbeats (see #onHeartbeat).
    this.#routes.add({
      error: (serverId, message) =>
        log.warn(`agent ${serverId} reported ${message.code}: ${message.message.slice(0, 300)}`),
    });
  }

  /** Serves `/agent/v1/connect` on the given HTTP server. */
  attach(server: Server): void {
    server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) =>
      this.handleUpgrade(req, socket, head),
    );
  }

  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    socket.on('error', () => socket.destroy());
    const path = new URL(req.url ?? '/', 'http://localhost').pathname;
    if (path !== AGENT_PATHS.connect || this.#shuttingDown) {
      const status = this.#shuttingDown ? '503 Service Unavailable' : '404 Not Found';
      socket.end(`HTTP/1.1 ${status}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
      return;
    }
    // The 101 answer and the first frame (challenge or retry) leave in one write.
    socket.cork();
    process.nextTick(() => socket.uncork());
    this.#wss.handleUpgrade(req, socket, head, (ws) => {
      const retryAfterMs = this.#admission.admit();
      if (retryAfterMs !== null) {
        this.#comeBackLater(ws, retryAfterMs);
        return;
      }
      const session = new AgentSession(ws, this.#host);
      this.#handshaking.add(session);
      this.#all.add(session);
    });
  }

  /** Agents told to come back later since this hub started, for metrics and benchmarks. */
  get deferredTotal(): number {
    return this.#deferred;
  }

  #comeBackLater(ws: WebSocket, afterMs: number): void {
    this.#deferred += 1;
    ws.on('error', () => undefined);
    ws.send(
      JSON.stringify({
        type: 'connect.retry',
        afterMs,
        reason: 'the control plane is admitting other agents',
      }),
    );
    ws.close(CLOSE_CODES.tryAgainLater, 'try again later');
    setTimeout(() => ws.terminate(), RETRY_CLOSE_GRACE_MS).unref();
  }

  /**
   * Routes the agent frames of the given types to these handlers, one handler per type. A type
   * that already has a handler throws: two owners of one frame are a wiring bug.
   */
  handle(handlers: AgentHandlers): void {
    this.#routes.add(handlers);
  }

  /** Called for each authenticated connection, with the agent's hello (and the jobs it holds). */
  onSessionOpen(listener: (serverId: string, hello: Hello) => void | Promise<void>): () => void {
    return this.#opened.add(listener);
  }

  /** Called once the agent has been sent its `welcome`: messages sent now follow it. */
  onWelcome(listener: (serverId: string, hello: Hello) => void | Promise<void>): () => void {
    return this.#welcomed.add(listener);
  }

  /** Called when an authenticated session ends; a replaced session reports 4409. */
  onSessionClose(listener: (serverId: string, closeCode: number) => void): () => void {
    return this.#closed.add(listener);
  }

  isConnected(serverId: string): boolean {
    return this.#byServer.has(serverId);
  }

  send(serverId: string, message: ControlPlaneMessage): boolean {
    return this.#byServer.get(serverId)?.send(message) ?? false;
  }

  /** Sends an `error` naming the reason and closes the server's socket with `closeCode`. */
  disconnect(serverId: string, closeCode: DisconnectCode, reason: string): boolean {
    const session = this.#byServer.get(serverId);
    if (!session) return false;
    this.#byServer.delete(serverId);
    session.close(closeCode, ERROR_FOR_CLOSE[closeCode], reason);
    return true;
  }

  sessionCount(): number {
    return this.#byServer.size;
  }

  /** Authenticated sessions, each with its server id and when it last sent a frame. */
  liveSessions(): Iterable<{ serverId: string | null; lastLifeAt: number }> {
    return this.#byServer.values();
  }

  /**
   * Sends one message to every authenticated agent, encoded once, a chunk of sessions per turn
   * of the event loop so that heartbeats keep flowing meanwhile. Resolves with how many got it.
   */
  async broadcast(message: ControlPlaneMessage): Promise<number> {
    const text = JSON.stringify(message);
    let sent = 0;
    await inChunks([...this.#byServer.values()], (session) => {
      if (session.sendText(text)) sent += 1;
    });
    return sent;
  }

  /** Closes every socket with 1001, a chunk per turn of the event loop, and stops accepting new ones. */
  async close(): Promise<void> {
    this.#shuttingDown = true;
    await inChunks([...this.#all], (session) =>
      session.close(1001, null, 'the control plane is shutting down'),
    );
    // Agents answer the close at once; a fleet's stragglers are cut off after a moment, not
    // after a close handshake each on a busy machine.
    const closed = new Promise<void>((resolve) => this.#wss.close(() => resolve()));
    let timer: NodeJS.Timeout | undefined;
    const waited = new Promise<'late'>((resolve) => {
      timer = setTimeout(() => resolve('late'), SHUTDOWN_GRACE_MS);
    });
    if ((await Promise.race([closed, waited])) === 'late') {
      await inChunks([...this.#all], (session) => session.terminate());
      await closed;
    }
    clearTimeout(timer);
  }

  // ----- the sessions' side -----

  #sessionHost(): SessionHost {
    const { now, log, framesRejected } = this.#options;
    const maxBufferedBytes = this.#options.maxBufferedBytes ?? DEFAULT_MAX_BUFFERED_BYTES;
    return {
      now,
      helloTimeoutMs: this.#options.helloTimeoutMs ?? 10_000,
      maxBadFrames: this.#options.maxBadFrames ?? 20,
      maxBufferedBytes,
      authenticate: (hello, nonce) => authenticateHello(this.#options.store.servers, hello, nonce),
      onAuthenticated: (session, hello, server) => this.#register(session, hello, server),
      onMessage: (session, message) => {
        if (session.serverId === null) return;
        if (message.type === 'heartbeat') this.#onHeartbeat(session, session.serverId, message);
        else this.#routes.route(session.serverId, message);
      },
      onClosed: (session, code) => this.#forget(session, code),
      ...sessionWarnings({ log, framesRejected, maxBufferedBytes }),
    };
  }

  #register(session: AgentSession, hello: Hello, server: { id: string; name: string }): void {
    this.#settle(session, true);
    const previous = this.#byServer.get(server.id);
    if (previous && previous !== session) {
      previous.close(
        CLOSE_CODES.replaced,
        'CONFLICT',
        'a newer connection with the same identity replaced this one',
      );
    }
    this.#byServer.set(server.id, session);
    this.#opened.emit(server.id, hello);
    const { store, heartbeatIntervalMs, livenessTimeoutMs } = this.#options;
    session.send({
      type: 'welcome',
      serverId: server.id,
      name: server.name,
      protocolVersion: PROTOCOL_VERSION,
      controlPlaneVersion: BERTH_VERSION,
      heartbeatIntervalMs,
      livenessTimeoutMs,
      maxFrameBytes: MAX_FRAME_BYTES,
    });
    this.#welcomed.emit(server.id, hello);
    this.#connections.connected(
      `agent ${server.id} (${server.name}) connected: agent ${hello.agentVersion}, protocol ${hello.protocolVersion}`,
    );
    this.#background(
      store.servers.markOnline(server.id, {
        agentVersion: hello.agentVersion,
        docker: hello.docker,
      }),
      `mark ${server.id} online`,
    );
  }

  /** The heartbeat is the one liveness mechanism; its ack is the agent's sign of our life. */
  #onHeartbeat(
    session: AgentSession,
    serverId: string,
    message: AgentMessageOf<'heartbeat'>,
  ): void {
    const docker = this.#options.store.servers.touch(serverId, message.docker);
    if (docker) this.#background(docker, `record the Docker state of ${serverId}`);
    if (this.#acks.due(session.heartbeatsSinceAck++)) session.sendText(this.#acks.text());
  }

  #forget(session: AgentSession, code: number): void {
    this.#settle(session, false);
    this.#all.delete(session);
    const serverId = session.serverId;
    if (serverId === null) return;
    this.#connections.disconnected(`${describeSession(session)} disconnected (${code})`);
    this.#options.store.servers.seen(serverId, session.lastLifeAt);
    if (this.#byServer.get(serverId) === session) this.#byServer.delete(serverId);
    this.#closed.emit(serverId, code);
  }

  #settle(session: AgentSession, authenticated: boolean): void {
    if (this.#handshaking.delete(session)) this.#admission.settled(authenticated);
  }

  #background(promise: Promise<unknown>, what: string): void {
    promise.catch((err: unknown) =>
      this.#options.log.error(`could not ${what}: ${describeError(err)}`),
    );
  }
}

/** Runs `act` on each item, yielding to the event loop after every SESSION_CHUNK items. */
async function inChunks<T>(items: readonly T[], act: (item: T) => void): Promise<void> {
  for (let start = 0; start < items.length; start += SESSION_CHUNK) {
    if (start > 0) await yieldToLoop();
    for (const item of items.slice(start, start + SESSION_CHUNK)) act(item);
  }
}
