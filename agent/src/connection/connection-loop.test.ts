import { verify, createPublicKey } from 'node:crypto';
import {
  BERTH_VERSION,
  MAX_FRAME_BYTES,
  PROTOCOL_VERSION,
  challengeSigningPayload,
} from '@berth/protocol';
import { afterEach, describe, expect, it } from 'vitest';
import { FakeEngine } from '../testing/fake-engine.js';
import {
  startFakeControlPlane,
  type FakeControlPlane,
  type FakeControlPlaneOptions,
} from '../testing/fake-cp-server.js';
import { createMemoryLogger, type MemoryLogger } from '../testing/memory-logger.js';
import { createTestIdentity } from '../testing/test-identity.js';
import { systemNow, systemSleep } from '../time.js';
import { AgentConnection } from './agent-connection.js';
import { REVOKED_MESSAGE } from './close-reasons.js';
import { runConnectionLoop } from './connection-loop.js';

interface Harness {
  cp: FakeControlPlane;
  connection: AgentConnection;
  docker: FakeEngine;
  logger: MemoryLogger;
  publicKey: string;
  stop: () => Promise<void>;
}

const running: Harness[] = [];

async function startAgent(
  cpOptions: FakeControlPlaneOptions = {},
  loop: { reconnectMaxMs?: number; docker?: string | null } = {},
): Promise<Harness> {
  const cp = await startFakeControlPlane({ heartbeatIntervalMs: 60_000, ...cpOptions });
  const { identity, publicKey } = createTestIdentity();
  cp.registerAgent(identity.agentId, publicKey);
  const logger = createMemoryLogger();
  const connection = new AgentConnection(logger);
  const docker = new FakeEngine(loop.docker === undefined ? '20.10.24' : loop.docker);
  const controller = new AbortController();
  const done = runConnectionLoop({
    signal: controller.signal,
    now: systemNow,
    sleep: systemSleep,
    random: () => 0, // reconnect at once; the backoff bounds have their own test
    controlPlaneUrl: cp.url,
    identity,
    connection,
    docker,
    logger,
    reconnectMaxMs: loop.reconnectMaxMs ?? 1000,
  });
  const harness: Harness = {
    cp,
    connection,
    docker,
    logger,
    publicKey,
    stop: async () => {
      controller.abort();
      await done;
      await cp.close();
    },
  };
  running.push(harness);
  return harness;
}

afterEach(async () => {
  await Promise.all(running.splice(0).map((harness) => harness.stop()));
});

describe('runConnectionLoop', () => {
  it('answers the challenge with a hello whose signature verifies against the public key', async () => {
    const { cp, connection, publicKey } = await startAgent();
    const hello = await cp.waitFor(() => cp.messages('hello')[0]);
    const key = createPublicKey({
      key: Buffer.from(publicKey, 'base64'),
      format: 'der',
      type: 'spki',
    });
    const signature = Buffer.from(hello.signature, 'base64');
    expect(hello).toMatchObject({
      agentId: 'srv_test',
      protocolVersion: PROTOCOL_VERSION,
      agentVersion: BERTH_VERSION,
      docker: { version: '20.10.24' },
      jobs: [],
    });
    expect(verify(null, challengeSigningPayload(cp.nonces[0]!, 'srv_test'), key, signature)).toBe(
      true,
    );
    // Bound to this challenge: the same signature over another nonce does not verify.
    expect(verify(null, challengeSigningPayload('x'.repeat(32), 'srv_test'), key, signature)).toBe(
      false,
    );
    await cp.waitFor(() => connection.state.connected);
    expect(cp.closes).toEqual([]); // the fake verified the signature and sent welcome
  });

  it('sends heartbeats at the interval the welcome sets, and records the acks', async () => {
    const { cp, connection } = await startAgent({ heartbeatIntervalMs: 80 });
    const beats = await cp.waitFor(() => {
      const frames = cp.frames.filter((frame) => frame.message?.type === 'heartbeat');
      return frames.length >= 4 && frames;
    });
    const gaps = beats.slice(1).map((beat, i) => beat.at - beats[i]!.at);
    for (const gap of gaps) {
      expect(gap).toBeGreaterThanOrEqual(60);
      expect(gap).toBeLessThan(400);
    }
    expect(cp.messages('heartbeat')[0]).toMatchObject({
      docker: { version: '20.10.24' },
      runningJobs: 0,
    });
    await cp.waitFor(() => connection.state.lastHeartbeatAt !== null);
    expect(connection.state.heartbeatsTotal).toBeGreaterThanOrEqual(4);
  });

  it('reports docker: null while Docker is away, and the version again once it is back', async () => {
    const { cp, docker } = await startAgent({ heartbeatIntervalMs: 40 }, { docker: null });
    expect((await cp.waitFor(() => cp.messages('hello')[0])).docker).toBeNull();
    await cp.waitFor(() => cp.messages('heartbeat').length >= 1);
    expect(cp.messages('heartbeat')[0]!.docker).toBeNull();
    docker.setVersion('24.0.7');
    await cp.waitFor(() =>
      cp.messages('heartbeat').some((beat) => beat.docker?.version === '24.0.7'),
    );
  });

  it('reconnects after the control plane drops the socket, and can send again', async () => {
    const { cp, connection } = await startAgent();
    await cp.waitFor(() => connection.state.connected);
    const disconnected: number[] = [];
    connection.on('disconnected', ({ code }) => disconnected.push(code));
    cp.sockets[0]!.terminate();
    await cp.waitFor(() => cp.messages('hello').length === 2 && connection.state.connected);
    expect(disconnected).toEqual([1006]);
    expect(connection.state.reconnectsTotal).toBe(1);
    expect(connection.send({ type: 'job.accept', jobId: 'job_1' })).toBe(true);
    await cp.waitFor(() =>
      cp.frames.some((frame) => frame.socket === 1 && frame.message?.type === 'job.accept'),
    );
  });

  it('returns false from send() while not connected', async () => {
    const { cp, connection } = await startAgent();
    expect(connection.send({ type: 'job.accept', jobId: 'job_1' })).toBe(false);
    await cp.waitFor(() => connection.state.connected);
    await cp.close();
    await cp.waitFor(() => !connection.state.connected);
    expect(connection.send({ type: 'job.accept', jobId: 'job_1' })).toBe(false);
  });

  it('on 4403 logs the removal once, keeps retrying at the cap, and shows the reason', async () => {
    const { cp, connection, logger } = await startAgent({}, { reconnectMaxMs: 100 });
    await cp.waitFor(() => connection.state.connected);
    cp.revoke('srv_test');
    // Each retry is refused with 4403 again; wait for a few of them.
    await cp.waitFor(() => cp.closes.filter((close) => close.code === 4403).length >= 4);
    expect(connection.state.connected).toBe(false);
    expect(connection.state.lastError).toBe(REVOKED_MESSAGE);
    const revokedLogs = logger.lines.filter((line) => line.message === REVOKED_MESSAGE);
    expect(revokedLogs).toEqual([{ level: 'error', message: REVOKED_MESSAGE }]);
    expect(REVOKED_MESSAGE).toContain(
      'this server was removed from the control plane; enroll again with a new join token',
    );
    // At the cap, not at once: random() is 0 here, so plain backoff would retry immediately.
    const refusedAt = cp.closes
      .filter((close) => close.code === 4403)
      .map((close) => cp.connectedAt[close.socket]!);
    for (let i = 1; i < refusedAt.length; i += 1) {
      expect(refusedAt[i]! - refusedAt[i - 1]!).toBeGreaterThanOrEqual(90);
    }
  });

  it('on 4409 logs the takeover once and backs off instead of resetting', async () => {
    const { cp, connection, logger } = await startAgent();
    for (let socket = 0; socket < 3; socket += 1) {
      await cp.waitFor(
        () => cp.messages('hello').length === socket + 1 && connection.state.connected,
      );
      cp.closeWith(socket, 'CONFLICT', 4409);
    }
    await cp.waitFor(() => cp.closes.length === 3);
    const takeovers = logger.lines.filter((line) => line.message.includes('close 4409'));
    expect(takeovers).toHaveLength(1);
    expect(takeovers[0]!.message).toContain('two agents share one state dir');
  });

  it('answers a malformed or unknown frame with an error and stays connected', async () => {
    const { cp, connection, logger } = await startAgent();
    await cp.waitFor(() => connection.state.connected);
    const cancels: string[] = [];
    connection.on('job.cancel', (message) => cancels.push(message.jobId));
    cp.send(0, 'this is not json');
    cp.send(0, JSON.stringify({ type: 'job.explode' }));
    cp.send(0, JSON.stringify({ type: 'job.cancel' }));
    const errors = await cp.waitFor(() => {
      const found = cp.messages('error');
      return found.length === 3 && found;
    });
    expect(errors.map((error) => error.code)).toEqual([
      'MALFORMED_FRAME',
      'UNKNOWN_MESSAGE',
      'MALFORMED_FRAME',
    ]);
    expect(errors[2]!.message).toContain('jobId');
    expect(logger.text()).toContain('unknown message type "job.explode"');
    cp.send(0, { type: 'job.cancel', jobId: 'job_7' });
    await cp.waitFor(() => cancels.length === 1);
    expect(cancels).toEqual(['job_7']);
    expect(connection.state.connected).toBe(true);
    expect(cp.sockets).toHaveLength(1);
  });

  it('survives an oversized frame: the socket closes with 1009 and the agent reconnects', async () => {
    const { cp, connection } = await startAgent();
    await cp.waitFor(() => connection.state.connected);
    cp.send(0, 'y'.repeat(MAX_FRAME_BYTES + 1024));
    await cp.waitFor(() => cp.closes[0]);
    expect(cp.closes[0]!.code).toBe(1009);
    await cp.waitFor(() => cp.messages('hello').length === 2 && connection.state.connected);
  });

  it('hands job and log messages to their subscribers, and a throwing handler hurts nothing', async () => {
    const { cp, connection, logger } = await startAgent();
    await cp.waitFor(() => connection.state.connected);
    const seen: string[] = [];
    connection.on('log.ack', (message) => {
      seen.push(`log.ack ${message.jobId} ${message.seq}`);
      throw new Error('handler bug');
    });
    connection.on('job.ack', (message) => seen.push(`job.ack ${message.jobId}`));
    const unsubscribe = connection.on('job.cancel', (message) =>
      seen.push(`cancel ${message.jobId}`),
    );
    cp.send(0, { type: 'log.ack', jobId: 'job_1', seq: 12 });
    cp.send(0, { type: 'job.ack', jobId: 'job_1' });
    await cp.waitFor(() => seen.length === 2);
    unsubscribe();
    cp.send(0, { type: 'job.cancel', jobId: 'job_1' });
    cp.send(0, { type: 'job.ack', jobId: 'job_2' });
    await cp.waitFor(() => seen.length === 3);
    expect(seen).toEqual(['log.ack job_1 12', 'job.ack job_1', 'job.ack job_2']);
    expect(logger.text()).toContain('a log.ack handler failed: handler bug');
    expect(connection.state.connected).toBe(true);
  });

  it('hands proxy.sync to its subscriber', async () => {
    const { cp, connection } = await startAgent();
    await cp.waitFor(() => connection.state.connected);
    const syncs: string[] = [];
    connection.on('proxy.sync', (message) =>
      syncs.push(message.routes.map((r) => r.domains[0]!.host).join(',')),
    );
    cp.send(0, {
      type: 'proxy.sync',
      settings: {},
      routes: [
        {
          serviceId: 'svc_1',
          environmentId: 'env_1',
          domains: [{ host: 'a.example.com', port: 80 }],
        },
      ],
    });
    await cp.waitFor(() => syncs.length === 1);
    expect(syncs).toEqual(['a.example.com']);
    expect(cp.messages('error')).toEqual([]);
  });

  it('refuses a control plane with another protocol major version, naming both versions', async () => {
    const { cp, logger } = await startAgent({ protocolVersion: '2.0' });
    await cp.waitFor(() => cp.closes[0]);
    expect(cp.closes[0]!.code).toBe(4406);
    expect(cp.messages('hello')).toEqual([]);
    expect(cp.messages('error')[0]).toMatchObject({ code: 'PROTOCOL_MISMATCH' });
    await cp.waitFor(() => logger.lines.some((line) => line.level === 'error'));
    expect(logger.text()).toContain(`agent speaks ${PROTOCOL_VERSION}, control plane speaks 2.0`);
  });

  it('terminates and reconnects when the control plane goes silent past the liveness timeout', async () => {
    const { cp, connection, logger } = await startAgent({
      heartbeatIntervalMs: 40,
      livenessTimeoutMs: 150,
      responsive: false,
    });
    await cp.waitFor(() => cp.messages('hello').length >= 2, 3000);
    expect(logger.text()).toContain('no frame from the control plane');
    expect(connection.state.reconnectsTotal).toBeGreaterThanOrEqual(1);
  });

  it('comes back after the delay a pacing control plane names, without counting a failure', async () => {
    const cp = await startFakeControlPlane({ heartbeatIntervalMs: 60_000 });
    cp.deferNextConnections = { count: 2, afterMs: 1234 };
    const { identity, publicKey } = createTestIdentity();
    cp.registerAgent(identity.agentId, publicKey);
    const logger = createMemoryLogger();
    const connection = new AgentConnection(logger);
    const controller = new AbortController();
    const slept: number[] = [];
    const done = runConnectionLoop({
      signal: controller.signal,
      now: systemNow,
      sleep: (ms, signal) => {
        slept.push(ms);
        // Only the paced waits are cut short: a shortened handshake deadline would fail a
        // handshake that is merely slow on a busy machine.
        return systemSleep(ms < 15_000 ? Math.min(ms, 10) : ms, signal);
      },
      random: () => 0.5,
      controlPlaneUrl: cp.url,
      identity,
      connection,
      docker: new FakeEngine('20.10.24'),
      logger,
      reconnectMaxMs: 30_000,
    });
    try {
      await cp.waitFor(() => connection.state.connected);
      // The others are the handshake deadline (15 s) and the heartbeat interval.
      expect(slept.filter((ms) => ms < 15_000)).toEqual([1234, 1234]);
      expect(connection.state.lastError).toBeNull();
      expect(logger.text()).toContain('connecting again in 1234 ms');
      expect(logger.lines.filter((line) => line.level !== 'info')).toEqual([]);
    } finally {
      controller.abort();
      await done;
      await cp.close();
    }
  });

  it('closes the socket with 1001 when the signal aborts', async () => {
    const harness = await startAgent();
    await harness.cp.waitFor(() => harness.connection.state.connected);
    running.splice(running.indexOf(harness), 1);
    const { cp } = harness;
    const closed = cp.waitFor(() => cp.closes[0]);
    await harness.stop().catch(() => undefined);
    expect((await closed).code).toBe(1001);
  });
});
