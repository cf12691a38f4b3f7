import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAX_FRAME_BYTES, PROTOCOL_VERSION } from '@berth/protocol';
import { createJoinToken, listServers } from './support/api.js';
import { MisbehavingControlPlane } from './support/misbehaving-control-plane.js';
import {
  agentStatus,
  startAgent,
  startControlPlane,
  stopAll,
  waitForAgentConnected,
  type ControlPlane,
} from './support/processes.js';
import { RawSocket, enrollBareServer } from './support/raw-agent.js';
import { waitFor } from './support/wait.js';

describe('bad WebSocket frames never crash the control plane', () => {
  let cp: ControlPlane;
  let realAgentId: string;

  beforeAll(async () => {
    cp = await startControlPlane();
    const agent = await startAgent({
      controlPlaneUrl: cp.url,
      joinToken: await createJoinToken(cp),
      name: 'bystander',
    });
    realAgentId = (await waitForAgentConnected(agent)).agentId!;
  });
  afterAll(stopAll);

  async function authenticated(): Promise<RawSocket> {
    const identity = await enrollBareServer(cp, 'raw');
    const socket = new RawSocket(cp);
    await socket.opened;
    await waitFor('a challenge', () => socket.ofType('auth.challenge').length > 0);
    socket.hello(identity);
    await waitFor('a welcome', () => socket.ofType('welcome').length > 0);
    return socket;
  }

  it('answers malformed, unknown and ill-shaped frames with an error and keeps the session', async () => {
    const socket = await authenticated();
    socket.send('{not json');
    socket.send(JSON.stringify({ type: 'launch.missiles' }));
    socket.send(JSON.stringify({ type: 'heartbeat', sentAt: 42 }));
    socket.send(JSON.stringify([1, 2, 3]));
    socket.send(Buffer.from([0xde, 0xad, 0xbe, 0xef]));
    const errors = await waitFor('five error replies', () => {
      const list = socket.ofType('error');
      return list.length >= 5 ? list : null;
    });
    expect(errors.map((e) => e.code)).toEqual(
      expect.arrayContaining(['MALFORMED_FRAME', 'UNKNOWN_MESSAGE']),
    );
    expect(String(errors.find((e) => e.code === 'UNKNOWN_MESSAGE')?.message)).toContain(
      'launch.missiles',
    );
    expect(String(errors.find((e) => String(e.message).includes('heartbeat'))?.message)).toContain(
      'sentAt',
    );
    expect(socket.closed).toBeNull();

    socket.send(
      JSON.stringify({ type: 'heartbeat', sentAt: new Date().toISOString(), docker: null }),
    );
    await waitFor(
      'a heartbeat ack after the bad frames',
      () => socket.ofType('heartbeat.ack').length > 0,
    );
    socket.ws.close();
  });

  it('closes cleanly on an oversized frame', async () => {
    const socket = await authenticated();
    socket.send('x'.repeat(MAX_FRAME_BYTES + 1024));
    await waitFor('the socket to close', () => socket.closed);
    expect(socket.closed?.code).toBe(1009);
  });

  it('refuses frames before authentication, bad signatures and a major protocol gap', async () => {
    const early = new RawSocket(cp);
    await early.opened;
    early.send(
      JSON.stringify({ type: 'heartbeat', sentAt: new Date().toISOString(), docker: null }),
    );
    await waitFor('the unauthenticated socket to close', () => early.closed);
    expect(early.closed?.code).toBe(4401);

    const identity = await enrollBareServer(cp, 'impostor');
    const forged = new RawSocket(cp);
    await forged.opened;
    await waitFor('a challenge', () => forged.ofType('auth.challenge').length > 0);
    forged.hello({ ...identity, privateKey: (await enrollBareServer(cp, 'other')).privateKey });
    await waitFor('the forged socket to close', () => forged.closed);
    expect(forged.closed?.code).toBe(4401);
    expect(forged.ofType('welcome')).toHaveLength(0);

    const future = new RawSocket(cp);
    await future.opened;
    await waitFor('a challenge', () => future.ofType('auth.challenge').length > 0);
    future.hello(identity, '2.0');
    await waitFor('the mismatched socket to close', () => future.closed);
    expect(future.closed?.code).toBe(4406);
    const mismatch = future.ofType('error')[0];
    expect(mismatch?.code).toBe('PROTOCOL_MISMATCH');
    expect(String(mismatch?.message)).toContain('2.0');
    expect(String(mismatch?.message)).toContain(PROTOCOL_VERSION);
  });

  it('a second connection with the same identity wins and the stale one is closed', async () => {
    const identity = await enrollBareServer(cp, 'twin');
    const older = new RawSocket(cp);
    await older.opened;
    await waitFor('a challenge', () => older.ofType('auth.challenge').length > 0);
    older.hello(identity);
    await waitFor('a welcome', () => older.ofType('welcome').length > 0);

    const newer = new RawSocket(cp);
    await newer.opened;
    await waitFor('a challenge', () => newer.ofType('auth.challenge').length > 0);
    newer.hello(identity);
    await waitFor('a welcome', () => newer.ofType('welcome').length > 0);
    await waitFor('the older socket to close', () => older.closed);
    expect(older.closed?.code).toBe(4409);
    expect(newer.closed).toBeNull();
    newer.ws.close();
  });

  it('the control plane and the well-behaved agent are unaffected', async () => {
    expect(cp.process.alive).toBe(true);
    expect((await fetch(`${cp.url}/healthz`)).status).toBe(200);
    const servers = await listServers(cp);
    expect(servers.find((s) => s.id === realAgentId)?.status).toBe('online');
  });
});

describe('bad WebSocket frames never crash the agent', () => {
  let fake: MisbehavingControlPlane;

  beforeAll(async () => {
    fake = new MisbehavingControlPlane();
    await fake.listen();
  });
  afterAll(async () => {
    await stopAll();
    await fake.close();
  });

  it('answers malformed and unknown frames with an error, survives an oversized one and reconnects', async () => {
    const agent = await startAgent({
      controlPlaneUrl: fake.url,
      joinToken: 'anything',
      name: 'target',
    });
    await waitForAgentConnected(agent);
    await waitFor(
      'a heartbeat at the interval the control plane set',
      () => fake.ofType('heartbeat').length >= 2,
    );

    fake.latest?.send('{not json');
    fake.latest?.send(JSON.stringify({ type: 'self.destruct' }));
    fake.latest?.send(JSON.stringify({ type: 'job.cancel' }));
    const errors = await waitFor('error replies from the agent', () => {
      const list = fake.ofType('error');
      return list.length >= 3 ? list : null;
    });
    expect(errors.map((e) => e.code)).toEqual(
      expect.arrayContaining(['MALFORMED_FRAME', 'UNKNOWN_MESSAGE']),
    );
    expect(agent.process.alive).toBe(true);

    const connectionsBefore = fake.connections;
    fake.latest?.send('y'.repeat(MAX_FRAME_BYTES + 1024));
    await waitFor('the agent to reconnect', () => fake.connections > connectionsBefore, {
      timeoutMs: 10_000,
    });
    await waitForAgentConnected(agent);
    expect(agent.process.alive).toBe(true);
    expect((await agentStatus(agent)).agentId).toBe('srv_fake');
  });
});
