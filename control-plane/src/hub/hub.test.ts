import { generateKeyPairSync } from 'node:crypto';
import { CLOSE_CODES, MAX_FRAME_BYTES, PROTOCOL_VERSION } from '@berth/protocol';
import { afterEach, describe, expect, it } from 'vitest';
import { createLivenessChecker } from './liveness-loop.js';
import { TestAgent, startTestHub, waitFor, type TestHub } from './testing.js';

let t: TestHub;
afterEach(async () => {
  await t.close();
});

describe('hub handshake', () => {
  it('challenges, verifies the signature, welcomes with the configured timing and marks online', async () => {
    t = await startTestHub({ heartbeatIntervalMs: 1234, livenessTimeoutMs: 5678 });
    const identity = await t.enroll('node-a');
    const agent = await TestAgent.connect(t.url);
    const challenge = await agent.next('auth.challenge');
    expect(challenge.nonce.length).toBeGreaterThanOrEqual(16);
    agent.received.unshift(challenge);
    await agent.hello(identity);
    const welcome = await agent.next('welcome');
    expect(welcome).toMatchObject({
      serverId: identity.id,
      name: 'node-a',
      heartbeatIntervalMs: 1234,
      livenessTimeoutMs: 5678,
      maxFrameBytes: MAX_FRAME_BYTES,
    });
    expect(t.hub.isConnected(identity.id)).toBe(true);
    expect(t.store.servers.get(identity.id)).toMatchObject({
      status: 'online',
      docker: { version: '20.10.24' },
    });
  });

  it('gives each socket a fresh nonce', async () => {
    t = await startTestHub();
    const a = await TestAgent.connect(t.url);
    const b = await TestAgent.connect(t.url);
    expect((await a.next('auth.challenge')).nonce).not.toBe((await b.next('auth.challenge')).nonce);
  });

  it('refuses a signature made with another key (4401) and leaves the server offline', async () => {
    t = await startTestHub();
    const identity = await t.enroll();
    const agent = await TestAgent.connect(t.url);
    await agent.hello({ id: identity.id, privateKey: generateKeyPairSync('ed25519').privateKey });
    expect(await agent.next('error')).toMatchObject({ code: 'AUTH_FAILED' });
    expect((await agent.closed).code).toBe(CLOSE_CODES.authFailed);
    expect(t.store.servers.get(identity.id)?.status).toBe('offline');
    expect(t.hub.isConnected(identity.id)).toBe(false);
  });

  it('refuses an unknown identity with 4401', async () => {
    t = await startTestHub();
    const agent = await TestAgent.connect(t.url);
    await agent.hello({ id: 'srv_nobody', privateKey: generateKeyPairSync('ed25519').privateKey });
    expect((await agent.next('error')).message).toContain('unknown agent identity srv_nobody');
    expect((await agent.closed).code).toBe(4401);
  });

  it('refuses another protocol major version, naming both versions', async () => {
    t = await startTestHub();
    const identity = await t.enroll();
    const agent = await TestAgent.connect(t.url);
    await agent.hello(identity, { protocolVersion: '2.3' });
    const error = await agent.next('error');
    expect(error.code).toBe('PROTOCOL_MISMATCH');
    expect(error.message).toContain(`control plane speaks ${PROTOCOL_VERSION}`);
    expect(error.message).toContain('agent speaks 2.3');
    expect((await agent.closed).code).toBe(CLOSE_CODES.protocolMismatch);
  });

  it('closes with 4401 when a frame other than hello comes first', async () => {
    t = await startTestHub();
    const agent = await TestAgent.connect(t.url);
    agent.heartbeat();
    expect(await agent.next('error')).toMatchObject({ code: 'UNEXPECTED_MESSAGE' });
    expect((await agent.closed).code).toBe(4401);
  });

  it('closes with 4401 when no hello arrives in time', async () => {
    t = await startTestHub({ helloTimeoutMs: 100 });
    const agent = await TestAgent.connect(t.url);
    expect((await agent.closed).code).toBe(4401);
    expect((await agent.next('error')).message).toContain('no "hello" within 100 ms');
  });

  it('refuses sockets on other paths', async () => {
    t = await startTestHub();
    await expect(TestAgent.connect(t.url.replace('/connect', '/other'))).rejects.toThrow(/404/);
  });
});

describe('hub sessions', () => {
  it('acks and records heartbeats itself', async () => {
    t = await startTestHub();
    const identity = await t.enroll();
    const agent = await TestAgent.authenticated(t.url, identity);
    t.clock.advance(2000);
    agent.sendJson({ type: 'heartbeat', sentAt: 'now', docker: null });
    await agent.next('heartbeat.ack');
    expect(t.store.servers.get(identity.id)).toMatchObject({
      docker: null,
      lastSeenAt: new Date(t.clock.now()).toISOString(),
    });
  });

  it('routes each frame to the one handler of its type, with the server it came from', async () => {
    t = await startTestHub();
    const seen: string[] = [];
    t.hub.handle({
      'job.accept': (serverId, message) => {
        seen.push(`${serverId} accepted ${message.jobId}`);
      },
      'job.status': (serverId, message) => {
        seen.push(`${serverId} status of ${message.jobId}`);
      },
    });
    expect(() => t.hub.handle({ 'job.accept': () => undefined })).toThrow(/already have a handler/);
    const identity = await t.enroll();
    const agent = await TestAgent.authenticated(t.url, identity);
    agent.sendJson({ type: 'job.accept', jobId: 'j1' });
    agent.sendJson({ type: 'job.finished', jobId: 'j1', status: 'succeeded', lastSeq: 0 });
    agent.sendJson({ type: 'job.status', jobId: 'j1' });
    await waitFor(() => seen.length === 2);
    expect(seen).toEqual([`${identity.id} accepted j1`, `${identity.id} status of j1`]);
  });

  it('answers bad frames with an error and keeps the connection', async () => {
    t = await startTestHub();
    const agent = await TestAgent.authenticated(t.url, await t.enroll());
    agent.ws.send('not json');
    expect(await agent.next('error')).toMatchObject({
      code: 'MALFORMED_FRAME',
      message: 'frame is not valid JSON',
    });
    agent.sendJson({ type: 'teleport' });
    expect(await agent.next('error')).toMatchObject({ code: 'UNKNOWN_MESSAGE', ref: 'teleport' });
    agent.sendJson({ type: 'heartbeat', docker: 'yes' });
    const shape = await agent.next('error');
    expect(shape.code).toBe('MALFORMED_FRAME');
    expect(shape.message).toContain('sentAt');
    agent.ws.send(Buffer.from([1, 2, 3]), { binary: true });
    expect((await agent.next('error')).message).toContain('binary frames are not accepted');
    agent.heartbeat();
    await agent.next('heartbeat.ack');
    expect(await t.metrics.framesRejected.get({ code: 'MALFORMED_FRAME' })).toBe(3);
  });

  it('closes with 4400 after 20 bad frames in a row', async () => {
    t = await startTestHub();
    const agent = await TestAgent.authenticated(t.url, await t.enroll());
    for (let i = 0; i < 25; i += 1) agent.ws.send('{');
    expect((await agent.closed).code).toBe(CLOSE_CODES.tooManyBadFrames);
    expect(agent.received.filter((m) => m.type === 'error')).toHaveLength(20);
  });

  it('closes an oversized frame with 1009 and keeps serving others', async () => {
    t = await startTestHub();
    const big = await TestAgent.authenticated(t.url, await t.enroll());
    big.ws.send('x'.repeat(MAX_FRAME_BYTES + 1));
    expect((await big.closed).code).toBe(1009);
    const other = await TestAgent.authenticated(t.url, await t.enroll());
    other.heartbeat();
    await other.next('heartbeat.ack');
  });

  it('lets the newest connection of one identity win; the old one gets 4409', async () => {
    t = await startTestHub();
    const closes: number[] = [];
    t.hub.onSessionClose((_id, code) => closes.push(code));
    const identity = await t.enroll();
    const first = await TestAgent.authenticated(t.url, identity);
    const second = await TestAgent.authenticated(t.url, identity);
    expect(await first.next('error')).toMatchObject({ code: 'CONFLICT' });
    expect((await first.closed).code).toBe(CLOSE_CODES.replaced);
    expect(t.hub.isConnected(identity.id)).toBe(true);
    await waitFor(() => closes.length > 0);
    expect(closes).toEqual([CLOSE_CODES.replaced]);
    expect(t.hub.send(identity.id, { type: 'job.cancel', jobId: 'j1' })).toBe(true);
    expect(await second.next('job.cancel')).toEqual({ type: 'job.cancel', jobId: 'j1' });
  });

  it('cuts a revoked server at once with 4403 and refuses it from then on', async () => {
    t = await startTestHub();
    const identity = await t.enroll();
    const agent = await TestAgent.authenticated(t.url, identity);
    await t.store.servers.revoke(identity.id);
    expect(t.hub.disconnect(identity.id, CLOSE_CODES.revoked, 'server deleted')).toBe(true);
    expect(await agent.next('error')).toMatchObject({ code: 'SERVER_REVOKED' });
    expect((await agent.closed).code).toBe(CLOSE_CODES.revoked);

    const again = await TestAgent.connect(t.url);
    await again.hello(identity);
    expect(await again.next('error')).toMatchObject({ code: 'SERVER_REVOKED' });
    expect((await again.closed).code).toBe(CLOSE_CODES.revoked);
  });

  it('terminates a silent session with 4408 and marks the server offline', async () => {
    t = await startTestHub({ livenessTimeoutMs: 15_000 });
    const identity = await t.enroll();
    const agent = await TestAgent.authenticated(t.url, identity);
    const check = createLivenessChecker({
      hub: t.hub,
      servers: t.store.servers,
      now: t.clock.now,
      log: { info: () => {}, warn: () => {}, error: () => {} },
      livenessTimeoutMs: 15_000,
      restartGraceMs: 0,
      startedAt: t.clock.now(),
    });
    t.clock.advance(14_000);
    await check();
    expect(t.hub.isConnected(identity.id)).toBe(true);
    t.clock.advance(2_000);
    await check();
    expect(await agent.next('error')).toMatchObject({ code: 'TIMEOUT' });
    expect((await agent.closed).code).toBe(CLOSE_CODES.livenessTimeout);
    expect(t.store.servers.get(identity.id)?.status).toBe('offline');
  });

  it('closes every socket with 1001 on shutdown', async () => {
    t = await startTestHub();
    const agent = await TestAgent.authenticated(t.url, await t.enroll());
    const pending = await TestAgent.connect(t.url);
    await t.hub.close();
    expect((await agent.closed).code).toBe(1001);
    expect((await pending.closed).code).toBe(1001);
  });
});

describe('hub back-pressure', () => {
  it('drops an agent that stops reading instead of buffering for it without bound', async () => {
    const lines: string[] = [];
    const maxBufferedBytes = 256 * 1024;
    t = await startTestHub({
      maxBufferedBytes,
      log: { info: () => {}, warn: (m) => lines.push(m), error: (m) => lines.push(m) },
    });
    const identity = await t.enroll();
    const agent = await TestAgent.authenticated(t.url, identity);
    // The agent's process stops reading: the kernel buffers fill, then the control plane's.
    (agent.ws as unknown as { _socket: { pause(): void } })._socket.pause();
    const frame = { type: 'job.cancel' as const, jobId: 'j'.repeat(4096) };
    let accepted = 0;
    // Bounded: 64 MB of frames at most, far more than any socket buffer holds.
    for (let i = 0; i < 16_384 && t.hub.send(identity.id, frame); i += 1) {
      accepted += 1;
      if (i % 64 === 63) await new Promise((resolve) => setImmediate(resolve));
    }
    expect(accepted).toBeLessThan(16_384);
    await waitFor(() => !t.hub.isConnected(identity.id));
    const reason = lines.find((line) => line.includes('reads too slowly'));
    expect(reason).toContain(`agent ${identity.id} dropped`);
    const waiting = Number(/\((\d+) bytes waiting/.exec(reason ?? '')?.[1]);
    expect(waiting).toBeLessThanOrEqual(maxBufferedBytes);
    expect(t.hub.send(identity.id, frame)).toBe(false);
  });
});

describe('hub robustness', () => {
  it('counts any frame as life and sends no pings of its own', async () => {
    t = await startTestHub();
    const identity = await t.enroll();
    const agent = await TestAgent.authenticated(t.url, identity);
    let pings = 0;
    agent.ws.on('ping', () => (pings += 1));
    const before = [...t.hub.liveSessions()][0]!.lastLifeAt;
    t.clock.advance(10_000);
    agent.heartbeat();
    await agent.next('heartbeat.ack');
    expect([...t.hub.liveSessions()][0]!.lastLifeAt).toBe(before + 10_000);
    expect(pings).toBe(0);
  });

  it('survives a handler that throws or rejects', async () => {
    t = await startTestHub();
    t.hub.handle({
      'job.accept': () => {
        throw new Error('handler bug');
      },
      'job.status': () => Promise.reject(new Error('async handler bug')),
    });
    const agent = await TestAgent.authenticated(t.url, await t.enroll());
    agent.sendJson({ type: 'job.accept', jobId: 'j1' });
    agent.sendJson({ type: 'job.status', jobId: 'j1' });
    for (let i = 0; i < 3; i += 1) agent.heartbeat();
    // With the default timing every second heartbeat is acknowledged, the first one included.
    await agent.next('heartbeat.ack');
    await agent.next('heartbeat.ack');
    expect(agent.received.filter((m) => m.type === 'error')).toEqual([]);
  });

  it('acknowledges as few heartbeats as keep the agent within its liveness timeout', async () => {
    t = await startTestHub({ heartbeatIntervalMs: 1000, livenessTimeoutMs: 4500 });
    const agent = await TestAgent.authenticated(t.url, await t.enroll());
    for (let i = 0; i < 7; i += 1) agent.heartbeat();
    agent.sendJson({ type: 'teleport' });
    await agent.next('error');
    // Two thirds of 4.5 s is three intervals: heartbeats 1, 4 and 7 are answered.
    expect(agent.received.filter((m) => m.type === 'heartbeat.ack')).toHaveLength(3);
  });
});
