// A child process holding many simulated agents. Each speaks the real wire protocol on its own
// socket: Ed25519 enrollment, the signed challenge, hello, heartbeats, connect.retry, and the
// agent's reconnect backoff (full jitter, 500 ms base, 30 s cap). Driven over IPC by sim-fleet.ts.
import { generateKeyPairSync, sign, type KeyObject } from 'node:crypto';
import WebSocket from 'ws';
import {
  BERTH_VERSION,
  PROTOCOL_VERSION,
  challengeSigningPayload,
  decodeControlPlaneMessage,
} from '../../protocol/src/index.js';
import type { ChildCommand, ChildReport } from './messages.js';

const HANDSHAKE_TIMEOUT_MS = 15_000;
const RECONNECT_BASE_MS = 500;
const RECONNECT_CAP_MS = 30_000;
// As the agent: for a minute after losing a working connection, retries wait at most 5 s.
const RECENT_LOSS_WINDOW_MS = 60_000;
const RECENT_LOSS_CAP_MS = 5_000;

interface SimAgent {
  id: string;
  key: KeyObject;
  ws: WebSocket | null;
  welcomed: boolean;
  attempt: number;
  /** performance.now() when a welcomed socket last closed. */
  lostAt: number;
  heartbeat: NodeJS.Timeout | null;
  /** performance.now() of the heartbeats sent since the last acknowledgement, oldest first. */
  inFlight: number[];
}

let cpUrl = '';
let heartbeatMs = 5000;
let running = true;
const agents: SimAgent[] = [];
const stats = { welcomes: 0, timeouts: 0, deferred: 0, closes: 0, rtts: [] as number[] };

function send(report: ChildReport): void {
  process.send?.(report);
}

async function enroll(count: number, adminToken: string, concurrency: number): Promise<void> {
  const latencies: number[] = [];
  let next = 0;
  const one = async () => {
    while (next < count) {
      next += 1;
      const { publicKey, privateKey } = generateKeyPairSync('ed25519');
      const tokenRes = await fetch(`${cpUrl}/api/v1/join-tokens`, {
        method: 'POST',
        headers: { authorization: `Bearer ${adminToken}`, 'content-type': 'application/json' },
        body: '{}',
      });
      const { token } = (await tokenRes.json()) as { token: string };
      const enrolled = performance.now();
      const res = await fetch(`${cpUrl}/agent/v1/enroll`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({
          joinToken: token,
          name: `sim-${process.pid}-${agents.length}`,
          publicKey: publicKey.export({ type: 'spki', format: 'der' }).toString('base64'),
          agentVersion: BERTH_VERSION,
          protocolVersion: PROTOCOL_VERSION,
        }),
      });
      const body = (await res.json()) as { agentId?: string };
      latencies.push(performance.now() - enrolled);
      if (res.status !== 201 || !body.agentId) throw new Error(`enroll answered ${res.status}`);
      agents.push({
        id: body.agentId,
        key: privateKey,
        ws: null,
        welcomed: false,
        attempt: 0,
        lostAt: -Infinity,
        heartbeat: null,
        inFlight: [],
      });
    }
  };
  await Promise.all(Array.from({ length: concurrency }, one));
  send({ type: 'enrolled', latencies });
}

function connect(agent: SimAgent): void {
  if (!running) return;
  const ws = new WebSocket(`${cpUrl.replace(/^http/, 'ws')}/agent/v1/connect`, {
    perMessageDeflate: false,
  });
  agent.ws = ws;
  agent.welcomed = false;
  let retryAfterMs: number | null = null;
  const deadline = setTimeout(() => {
    if (agent.welcomed) return;
    stats.timeouts += 1;
    ws.terminate();
  }, HANDSHAKE_TIMEOUT_MS);
  ws.on('error', () => undefined);
  ws.on('message', (data: Buffer) => {
    const decoded = decodeControlPlaneMessage(data);
    if (!decoded.ok) return;
    const message = decoded.message;
    switch (message.type) {
      case 'auth.challenge': {
        const signature = sign(null, challengeSigningPayload(message.nonce, agent.id), agent.key);
        ws.send(
          JSON.stringify({
            type: 'hello',
            agentId: agent.id,
            signature: signature.toString('base64'),
            protocolVersion: PROTOCOL_VERSION,
            agentVersion: BERTH_VERSION,
            docker: { version: '20.10.24' },
            jobs: [],
          }),
        );
        return;
      }
      case 'connect.retry':
        retryAfterMs = message.afterMs;
        stats.deferred += 1;
        return;
      case 'welcome':
        agent.welcomed = true;
        agent.attempt = 0;
        stats.welcomes += 1;
        clearTimeout(deadline);
        startHeartbeats(agent, ws);
        return;
      case 'heartbeat.ack': {
        // The control plane answers the heartbeat it just got (and not every one): the latest.
        const sentAt = agent.inFlight.at(-1);
        agent.inFlight = [];
        if (sentAt !== undefined) stats.rtts.push(performance.now() - sentAt);
        return;
      }
      case 'job.assign':
      case 'job.cancel':
      case 'job.ack':
      case 'log.ack':
      case 'container.logs':
      case 'container.logs.stop':
      case 'proxy.sync':
      case 'error':
        return;
    }
  });
  ws.on('close', () => {
    clearTimeout(deadline);
    if (agent.welcomed) agent.lostAt = performance.now();
    if (agent.heartbeat) clearInterval(agent.heartbeat);
    agent.heartbeat = null;
    agent.inFlight = [];
    agent.welcomed = false;
    if (agent.ws === ws) agent.ws = null;
    stats.closes += 1;
    if (!running) return;
    const capMs =
      performance.now() - agent.lostAt < RECENT_LOSS_WINDOW_MS
        ? RECENT_LOSS_CAP_MS
        : RECONNECT_CAP_MS;
    const delayMs =
      retryAfterMs ??
      Math.floor(Math.random() * Math.min(capMs, RECONNECT_BASE_MS * 2 ** agent.attempt));
    if (retryAfterMs === null) agent.attempt += 1;
    setTimeout(() => connect(agent), delayMs);
  });
}

function startHeartbeats(agent: SimAgent, ws: WebSocket): void {
  // A random phase, as real agents started at different times have.
  const beat = () => {
    if (ws.readyState !== WebSocket.OPEN) return;
    agent.inFlight.push(performance.now());
    ws.send(
      JSON.stringify({
        type: 'heartbeat',
        sentAt: new Date().toISOString(),
        docker: { version: '20.10.24' },
        runningJobs: 0,
      }),
    );
  };
  const start = setTimeout(() => {
    beat();
    agent.heartbeat = setInterval(beat, heartbeatMs);
  }, Math.random() * heartbeatMs);
  agent.heartbeat = start as unknown as NodeJS.Timeout;
}

process.on('message', (command: ChildCommand) => {
  switch (command.type) {
    case 'setup':
      cpUrl = command.cpUrl;
      heartbeatMs = command.heartbeatMs;
      send({ type: 'ready' });
      return;
    case 'enroll':
      enroll(command.count, command.adminToken, command.concurrency).catch((err: unknown) =>
        send({ type: 'failed', error: String(err) }),
      );
      return;
    case 'connect':
      for (const agent of agents) if (!agent.ws) connect(agent);
      send({ type: 'connecting' });
      return;
    case 'stats': {
      const cpu = process.cpuUsage();
      send({
        type: 'stats',
        agents: agents.length,
        welcomed: agents.filter((a) => a.welcomed).length,
        welcomes: stats.welcomes,
        timeouts: stats.timeouts,
        deferred: stats.deferred,
        closes: stats.closes,
        rtts: command.takeRtts ? stats.rtts.splice(0) : [],
        cpuMicros: cpu.user + cpu.system,
      });
      return;
    }
    case 'stop':
      running = false;
      for (const agent of agents) agent.ws?.terminate();
      setTimeout(() => process.exit(0), 100);
      return;
  }
});
