import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { api, createJoinToken, listServers } from './support/api.js';
import { DOCKER_VERSION, dockerOrSkip } from './support/docker.js';
import {
  agentStatus,
  restartAgent,
  startAgent,
  startControlPlane,
  stopAll,
  waitForAgentConnected,
  type ControlPlane,
} from './support/processes.js';
import { waitFor } from './support/wait.js';

const hasDocker = dockerOrSkip();

/** How many handshakes the control plane has refused as coming from a deleted server. */
async function revokedRefusals(cp: ControlPlane): Promise<number> {
  const text = await (await fetch(`${cp.url}/metrics`)).text();
  const match = /^berth_ws_frames_rejected_total\{code="SERVER_REVOKED"\} (\d+)$/m.exec(text);
  return match ? Number(match[1]) : 0;
}

describe('enrollment and identity', () => {
  let cp: ControlPlane;

  beforeAll(async () => {
    cp = await startControlPlane();
  });
  afterAll(stopAll);

  it.skipIf(!hasDocker)(
    'an agent enrolls with a join token and shows online with the engine version',
    async () => {
      const token = await createJoinToken(cp);
      const agent = await startAgent({ controlPlaneUrl: cp.url, joinToken: token, name: 'node-a' });
      const status = await waitForAgentConnected(agent);
      expect(status.docker).toEqual({ reachable: true, version: DOCKER_VERSION });

      const server = await waitFor('the server to show online', async () => {
        const servers = await listServers(cp);
        return servers.find((s) => s.id === status.agentId && s.status === 'online');
      });
      expect(server.name).toBe('node-a');
      expect(server.docker).toEqual({ version: DOCKER_VERSION });
      expect(server.agentVersion).toMatch(/^\d+\.\d+\.\d+/);
      expect(Date.parse(server.lastSeenAt ?? '')).toBeGreaterThan(Date.now() - 10_000);
      // the agent never shows the join token in its output
      expect(agent.process.output).not.toContain(token);
      await agent.process.stop();
    },
  );

  it('a join token works once: a second enrollment with it is refused with a clear error', async () => {
    const token = await createJoinToken(cp);
    const first = await startAgent({ controlPlaneUrl: cp.url, joinToken: token, name: 'first' });
    await waitForAgentConnected(first);
    const before = await listServers(cp);

    const second = await startAgent({ controlPlaneUrl: cp.url, joinToken: token, name: 'second' });
    const { code } = await second.process.exited;
    expect(code).toBe(1);
    expect(second.process.output).toMatch(/used/i);
    expect(second.process.output).not.toContain(token);
    const after = await listServers(cp);
    expect(after.map((s) => s.id).sort()).toEqual(before.map((s) => s.id).sort());
    expect(after.some((s) => s.name === 'second')).toBe(false);
    await first.process.stop();
  });

  it('an expired join token is refused', async () => {
    const created = await api<{ token: string; expiresAt: string }>(
      cp,
      'POST',
      '/api/v1/join-tokens',
      { ttlSeconds: 1 },
    );
    expect(created.status).toBe(201);
    const { token, expiresAt } = created.body;
    // The control plane runs on this machine's clock: once it is past expiresAt, so is the token.
    await waitFor('the join token to expire', () => Date.now() > Date.parse(expiresAt), {
      intervalMs: 20,
    });
    const agent = await startAgent({ controlPlaneUrl: cp.url, joinToken: token, name: 'late' });
    const { code } = await agent.process.exited;
    expect(code).toBe(1);
    expect(agent.process.output).toMatch(/expired/i);
    expect((await listServers(cp)).some((s) => s.name === 'late')).toBe(false);
  });

  it('an unknown join token is refused', async () => {
    const agent = await startAgent({
      controlPlaneUrl: cp.url,
      joinToken: 'bjt_not-a-real-token',
      name: 'stranger',
    });
    const { code } = await agent.process.exited;
    expect(code).toBe(1);
    expect(agent.process.output).toMatch(/join token/i);
    expect((await listServers(cp)).some((s) => s.name === 'stranger')).toBe(false);
  });

  it('deleting a server cuts its socket at once and refuses it from then on', async () => {
    const agent = await startAgent({
      controlPlaneUrl: cp.url,
      joinToken: await createJoinToken(cp),
      name: 'doomed',
      // A refused agent waits this long before it tries again, so the test sees it retry.
      env: { BERTH_AGENT_RECONNECT_MAX_MS: '300' },
    });
    const { agentId } = await waitForAgentConnected(agent);

    const res = await api(cp, 'DELETE', `/api/v1/servers/${agentId}`);
    expect(res.status).toBe(204);
    // "at once": well inside the liveness window the agent would otherwise need
    await waitFor(
      'the agent to lose its connection',
      async () => !(await agentStatus(agent)).connected,
      {
        timeoutMs: 2_000,
      },
    );
    expect((await listServers(cp)).some((s) => s.id === agentId)).toBe(false);

    // the agent keeps trying, and is refused every time, also after a restart
    await agent.process.stop();
    const refusedBefore = await revokedRefusals(cp);
    const again = await restartAgent(agent);
    await waitFor('the restarted agent to report why it is refused', () =>
      /removed|revoked|enroll again/i.test(again.process.output),
    );
    await waitFor(
      'the restarted agent to try again and be refused again',
      async () => (await revokedRefusals(cp)) >= refusedBefore + 2,
    );
    expect((await agentStatus(again)).connected).toBe(false);
    expect((await listServers(cp)).some((s) => s.id === agentId)).toBe(false);
    expect(cp.process.alive).toBe(true);
    await again.process.stop();
  });
});
