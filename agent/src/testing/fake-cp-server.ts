import { createPublicKey, randomBytes, verify } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  AGENT_PATHS,
  CLOSE_CODES,
  PROTOCOL_VERSION,
  challengeSigningPayload,
  decodeAgentMessage,
  enrollRequestSchema,
  type AgentMessage,
  type ControlPlaneMessageInput,
  type ErrorCode,
} from '@berth/protocol';
import { WebSocketServer, type WebSocket } from 'ws';

export interface FakeControlPlaneOptions {
  heartbeatIntervalMs?: number;
  livenessTimeoutMs?: number;
  protocolVersion?: string;
  /** false: never answer heartbeats or pings, as a hung control plane would. */
  responsive?: boolean;
}

export interface ReceivedFrame {
  /** Which socket (0, 1, …) it arrived on. */
  socket: number;
  at: number;
  raw: string;
  message: AgentMessage | null;
}

type TokenState = 'valid' | 'used' | 'expired';

/** A small control plane that speaks the real protocol over real sockets, for agent tests. */
export class FakeControlPlane {
  readonly tokens = new Map<string, TokenState>();
  readonly agents = new Map<string, { publicKey: string; name: string; revoked: boolean }>();
  readonly frames: ReceivedFrame[] = [];
  readonly enrollRequests: unknown[] = [];
  readonly sockets: WebSocket[] = [];
  /** The challenge nonce and the time of each socket, by index. */
  readonly nonces: string[] = [];
  readonly connectedAt: number[] = [];
  readonly closes: { socket: number; code: number; reason: string }[] = [];
  /** Answers the next N enrollments with 503, like a control plane that is starting. */
  failNextEnrollments = 0;
  /** Answers the next N sockets with `connect.retry` after `afterMs`, like a busy control plane. */
  deferNextConnections = { count: 0, afterMs: 0 };
  readonly #options: Required<FakeControlPlaneOptions>;
  readonly #http = createServer((req, res) => this.#onRequest(req, res));
  readonly #wss: WebSocketServer;
  #nextAgent = 1;

  constructor(options: FakeControlPlaneOptions = {}) {
    this.#options = {
      heartbeatIntervalMs: 10_000,
      livenessTimeoutMs: 30_000,
      protocolVersion: PROTOCOL_VERSION,
      responsive: true,
      ...options,
    };
    this.#wss = new WebSocketServer({ noServer: true, autoPong: this.#options.responsive });
    this.#http.on('upgrade', (req, socket, head) => {
      if (req.url !== AGENT_PATHS.connect) return socket.destroy();
      this.#wss.handleUpgrade(req, socket, head, (ws) => this.#onSocket(ws));
    });
  }

  get url(): URL {
    return new URL(`http://127.0.0.1:${(this.#http.address() as AddressInfo).port}`);
  }

  /** Listens on 127.0.0.1; port 0 picks a free one. */
  async start(port = 0): Promise<this> {
    await new Promise<void>((resolve) => this.#http.listen(port, '127.0.0.1', resolve));
    return this;
  }

  async close(): Promise<void> {
    for (const socket of this.#wss.clients) socket.terminate();
    this.#wss.close();
    this.#http.closeAllConnections();
    await new Promise((resolve) => this.#http.close(resolve));
  }

  registerAgent(agentId: string, publicKey: string, name = 'node-1'): void {
    this.agents.set(agentId, { publicKey, name, revoked: false });
  }

  /** Deletes the server: its socket is cut with 4403 and it can no longer connect. */
  revoke(agentId: string): void {
    const agent = this.agents.get(agentId);
    if (agent) agent.revoked = true;
    for (const socket of this.sockets) this.#refuse(socket, 'SERVER_REVOKED', CLOSE_CODES.revoked);
  }

  /** Closes one socket the way the real control plane does: an `error` frame, then the code. */
  closeWith(socket: number, code: ErrorCode, closeCode: number): void {
    const target = this.sockets[socket];
    if (!target) throw new Error(`no socket ${socket}`);
    this.#refuse(target, code, closeCode);
  }

  send(socket: number, message: ControlPlaneMessageInput | string): void {
    const target = this.sockets[socket];
    if (!target) throw new Error(`no socket ${socket}`);
    target.send(typeof message === 'string' ? message : JSON.stringify(message));
  }

  messages<T extends AgentMessage['type']>(type: T): Extract<AgentMessage, { type: T }>[] {
    return this.frames
      .map((frame) => frame.message)
      .filter((message): message is Extract<AgentMessage, { type: T }> => message?.type === type);
  }

  /** Polls until `check` returns something truthy, or fails after `timeoutMs`. */
  async waitFor<T>(check: () => T | undefined | null | false, timeoutMs = 3000): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const value = check();
      if (value) return value;
      if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
  }

  #onRequest(req: IncomingMessage, res: ServerResponse): void {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const reply = (status: number, body: unknown) => {
        res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
      };
      if (req.method !== 'POST' || req.url !== AGENT_PATHS.enroll) return reply(404, {});
      if (this.failNextEnrollments > 0) {
        this.failNextEnrollments -= 1;
        return reply(503, { error: { code: 'INTERNAL', message: 'starting up' } });
      }
      let json: unknown;
      try {
        json = JSON.parse(Buffer.concat(chunks).toString('utf8'));
      } catch {
        json = undefined;
      }
      this.enrollRequests.push(json);
      const parsed = enrollRequestSchema.safeParse(json);
      if (!parsed.success) {
        return reply(400, { error: { code: 'INVALID_INPUT', message: 'invalid enrollment' } });
      }
      const state = this.tokens.get(parsed.data.joinToken);
      if (state !== 'valid') {
        const code =
          state === 'used'
            ? 'JOIN_TOKEN_USED'
            : state === 'expired'
              ? 'JOIN_TOKEN_EXPIRED'
              : 'JOIN_TOKEN_INVALID';
        return reply(401, { error: { code, message: `this join token is ${state ?? 'unknown'}` } });
      }
      this.tokens.set(parsed.data.joinToken, 'used');
      const agentId = `srv_${this.#nextAgent++}`;
      this.registerAgent(agentId, parsed.data.publicKey, parsed.data.name);
      reply(201, { agentId, name: parsed.data.name });
    });
  }

  #onSocket(ws: WebSocket): void {
    const index = this.sockets.push(ws) - 1;
    if (this.deferNextConnections.count > 0) {
      this.deferNextConnections.count -= 1;
      this.nonces.push('');
      this.connectedAt.push(Date.now());
      ws.send(
        JSON.stringify({ type: 'connect.retry', afterMs: this.deferNextConnections.afterMs }),
      );
      ws.close(CLOSE_CODES.tryAgainLater, 'try again later');
      return;
    }
    const nonce = randomBytes(24).toString('base64url');
    this.nonces.push(nonce);
    this.connectedAt.push(Date.now());
    ws.on('close', (code, reason) =>
      this.closes.push({ socket: index, code, reason: reason.toString() }),
    );
    ws.on('message', (data: Buffer) => {
      const raw = data.toString('utf8');
      const decoded = decodeAgentMessage(raw);
      this.frames.push({
        socket: index,
        at: Date.now(),
        raw,
        message: decoded.ok ? decoded.message : null,
      });
      if (decoded.ok && decoded.message.type === 'hello') this.#onHello(ws, nonce, decoded.message);
      if (decoded.ok && decoded.message.type === 'heartbeat' && this.#options.responsive) {
        ws.send(JSON.stringify({ type: 'heartbeat.ack', sentAt: new Date().toISOString() }));
      }
    });
    ws.send(
      JSON.stringify({
        type: 'auth.challenge',
        nonce,
        protocolVersion: this.#options.protocolVersion,
      }),
    );
  }

  #onHello(ws: WebSocket, nonce: string, hello: Extract<AgentMessage, { type: 'hello' }>): void {
    const agent = this.agents.get(hello.agentId);
    if (agent?.revoked) return this.#refuse(ws, 'SERVER_REVOKED', CLOSE_CODES.revoked);
    const key =
      agent &&
      createPublicKey({ key: Buffer.from(agent.publicKey, 'base64'), format: 'der', type: 'spki' });
    const valid =
      key !== undefined &&
      verify(
        null,
        challengeSigningPayload(nonce, hello.agentId),
        key,
        Buffer.from(hello.signature, 'base64'),
      );
    if (!agent || !valid) return this.#refuse(ws, 'AUTH_FAILED', CLOSE_CODES.authFailed);
    ws.send(
      JSON.stringify({
        type: 'welcome',
        serverId: hello.agentId,
        name: agent.name,
        protocolVersion: this.#options.protocolVersion,
        controlPlaneVersion: '0.1.0',
        heartbeatIntervalMs: this.#options.heartbeatIntervalMs,
        livenessTimeoutMs: this.#options.livenessTimeoutMs,
        maxFrameBytes: 1024 * 1024,
      }),
    );
  }

  #refuse(ws: WebSocket, code: ErrorCode, closeCode: number): void {
    if (ws.readyState !== ws.OPEN) return;
    ws.send(JSON.stringify({ type: 'error', code, message: `refused: ${code}` }));
    ws.close(closeCode, code);
  }
}

export async function startFakeControlPlane(
  options?: FakeControlPlaneOptions,
): Promise<FakeControlPlane> {
  return new FakeControlPlane(options).start();
}
