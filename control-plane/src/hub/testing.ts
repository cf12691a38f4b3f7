// Helpers for hub tests: a real HTTP server on port 0 and a scripted agent on a real ws client.
import { generateKeyPairSync, sign, type KeyObject } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  PROTOCOL_VERSION,
  challengeSigningPayload,
  type AgentMessageInput,
  type ControlPlaneMessage,
} from '@berth/protocol';
import { WebSocket } from 'ws';
import { sha256Hex } from '../crypto.js';
import { silentLogger } from '../log.js';
import { createMetrics } from '../metrics/metrics.js';
import { openMemoryStore, type Store } from '../store/store.js';
import { fakeClock, type FakeClock } from '../testing/fake-clock.js';
import { Hub, type HubOptions } from './hub.js';

export interface TestHub {
  hub: Hub;
  store: Store;
  clock: FakeClock;
  metrics: ReturnType<typeof createMetrics>;
  url: string;
  enroll(name?: string): Promise<TestIdentity>;
  close(): Promise<void>;
}

export interface TestIdentity {
  id: string;
  privateKey: KeyObject;
}

export async function startTestHub(options: Partial<HubOptions> = {}): Promise<TestHub> {
  const clock = fakeClock();
  const store = await openMemoryStore({ now: clock.now });
  const metrics = createMetrics();
  const hub = new Hub({
    store,
    now: clock.now,
    log: silentLogger,
    framesRejected: metrics.framesRejected,
    heartbeatIntervalMs: 5000,
    livenessTimeoutMs: 15000,
    ...options,
  });
  const server: Server = createServer((_req, res) => res.writeHead(404).end());
  hub.attach(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  let enrolled = 0;
  return {
    hub,
    store,
    clock,
    metrics,
    url: `ws://127.0.0.1:${port}/agent/v1/connect`,
    async enroll(name = 'node') {
      enrolled += 1;
      const { publicKey, privateKey } = generateKeyPairSync('ed25519');
      const token = `token-${enrolled}`;
      await store.joinTokens.create({
        tokenHash: sha256Hex(token),
        ttlSeconds: 3600,
        now: clock.now(),
      });
      const id = `srv_test${enrolled}`;
      const result = await store.servers.enroll({
        id,
        tokenHash: sha256Hex(token),
        name,
        publicKey: publicKey.export({ format: 'der', type: 'spki' }).toString('base64'),
        agentVersion: '0.1.0',
      });
      if (!result.ok) throw new Error(`test enrollment failed: ${result.reason}`);
      return { id, privateKey };
    },
    async close() {
      await hub.close();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** A scripted agent: records every frame and the close it gets. */
export class TestAgent {
  readonly ws: WebSocket;
  readonly received: ControlPlaneMessage[] = [];
  readonly closed: Promise<{ code: number; reason: string }>;
  #waiters: (() => void)[] = [];

  private constructor(ws: WebSocket) {
    this.ws = ws;
    ws.on('message', (data) => {
      this.received.push(JSON.parse(String(data)) as ControlPlaneMessage);
      for (const wake of this.#waiters.splice(0)) wake();
    });
    this.closed = new Promise((resolve) => {
      ws.on('close', (code, reason) => resolve({ code, reason: reason.toString() }));
    });
    ws.on('error', () => undefined);
  }

  static async connect(url: string): Promise<TestAgent> {
    const ws = new WebSocket(url);
    const agent = new TestAgent(ws);
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('error', reject);
    });
    return agent;
  }

  /** Connects, answers the challenge and waits for `welcome`. */
  static async authenticated(url: string, identity: TestIdentity): Promise<TestAgent> {
    const agent = await TestAgent.connect(url);
    await agent.hello(identity);
    await agent.next('welcome');
    return agent;
  }

  /** Waits for the first message of `type` not yet taken, and takes it. */
  async next<T extends ControlPlaneMessage['type']>(
    type: T,
    timeoutMs = 3000,
  ): Promise<Extract<ControlPlaneMessage, { type: T }>> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const index = this.received.findIndex((message) => message.type === type);
      if (index !== -1) {
        return this.received.splice(index, 1)[0] as Extract<ControlPlaneMessage, { type: T }>;
      }
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`no "${type}" message; got ${JSON.stringify(this.received)}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.#waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  async hello(
    identity: TestIdentity,
    overrides: Partial<Extract<AgentMessageInput, { type: 'hello' }>> = {},
  ): Promise<void> {
    const challenge = await this.next('auth.challenge');
    const signature = sign(
      null,
      challengeSigningPayload(challenge.nonce, identity.id),
      identity.privateKey,
    );
    this.sendJson({
      type: 'hello',
      agentId: identity.id,
      signature: signature.toString('base64'),
      protocolVersion: PROTOCOL_VERSION,
      agentVersion: '0.1.0',
      docker: { version: '20.10.24' },
      jobs: [],
      ...overrides,
    });
  }

  sendJson(message: unknown): void {
    this.ws.send(JSON.stringify(message));
  }

  heartbeat(): void {
    this.sendJson({
      type: 'heartbeat',
      sentAt: new Date().toISOString(),
      docker: { version: '20.10.24' },
    });
  }
}

/** Polls `check` until it returns true; for effects that land a moment after a socket event. */
export async function waitFor(check: () => boolean, timeoutMs = 3000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}
