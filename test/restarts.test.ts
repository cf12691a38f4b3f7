import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { api, createJoinToken, listServers } from './support/api.js';
import {
  agentStatus,
  restartAgent,
  restartControlPlane,
  startAgent,
  startControlPlane,
  stopAll,
  waitForAgentConnected,
  type Agent,
  type ControlPlane,
} from './support/processes.js';
import { waitFor } from './support/wait.js';

describe('restarts and network trouble', () => {
  let cp: ControlPlane;
  let agent: Agent;
  let agentId: string;

  beforeAll(async () => {
    cp = await startControlPlane();
    agent = await startAgent({
      controlPlaneUrl: cp.url,
      joinToken: await createJoinToken(cp),
      name: 'steady',
    });
    agentId = (await waitForAgentConnected(agent)).agentId!;
  });
  afterAll(stopAll);

  it('after a SIGKILL of the control plane, the agent reconnects by itself and records are intact', async () => {
    const project = await api<{ id: string }>(cp, 'POST', '/api/v1/projects', { name: 'survivor' });
    expect(project.status).toBe(201);
    const env = await api<{ id: string }>(
      cp,
      'POST',
      `/api/v1/projects/${project.body.id}/environments`,
      {
        name: 'production',
        serverId: agentId,
      },
    );
    expect(env.status).toBe(201);

    cp.process.kill('SIGKILL');
    await cp.process.exited;
    await waitFor(
      'the agent to notice the control plane is gone',
      async () => !(await agentStatus(agent)).connected,
    );

    cp = await restartControlPlane(cp);
    await waitForAgentConnected(agent);
    const servers = await waitFor('the server to be online again', async () => {
      const list = await listServers(cp);
      return list.every((s) => s.status === 'online') ? list : null;
    });
    expect(servers.map((s) => s.id)).toEqual([agentId]);
    expect((await api(cp, 'GET', `/api/v1/projects/${project.body.id}`)).body).toEqual({
      id: project.body.id,
      name: 'survivor',
    });
    expect((await api(cp, 'GET', `/api/v1/environments/${env.body.id}`)).body).toMatchObject({
      name: 'production',
      serverId: agentId,
    });
  });

  it('after a SIGKILL of the agent, it comes back with the same identity and no second server appears', async () => {
    agent.process.kill('SIGKILL');
    await agent.process.exited;
    agent = await restartAgent(agent);
    const status = await waitForAgentConnected(agent);
    expect(status.agentId).toBe(agentId);
    const servers = await listServers(cp);
    expect(servers).toHaveLength(1);
    expect(servers[0]).toMatchObject({ id: agentId, name: 'steady', status: 'online' });
  });

  it('a silent agent goes offline after its liveness window, but not during the restart grace period', async () => {
    // The control plane notes a status change on disk within a second; wait until it holds
    // the server as online. Then the control plane goes first, so it never sees the agent
    // leave: at its crash the server was online. Then the agent goes too, and stays silent.
    await waitFor('the server to be noted online on disk', () => {
      try {
        const presence = JSON.parse(readFileSync(join(cp.dataDir, 'presence.json'), 'utf8')) as {
          servers: Record<string, { online: boolean }>;
        };
        return presence.servers[agentId]?.online === true;
      } catch {
        return false;
      }
    });
    cp.process.kill('SIGKILL');
    await cp.process.exited;
    agent.process.kill('SIGKILL');
    await agent.process.exited;
    // A grace period long enough that the first read below falls inside it on any machine.
    const graceMs = 10_000;
    const restartedAt = Date.now();
    cp = await startControlPlane({
      dataDir: cp.dataDir,
      port: cp.port,
      env: { ...cp.env, BERTH_RESTART_GRACE_MS: String(graceMs) },
    });

    // The fleet is not marked offline the moment the control plane starts, and not shown
    // online either: it is reconnecting.
    const early = await listServers(cp);
    expect(early[0]?.status).toBe('reconnecting');

    await waitFor(
      'the silent server to go offline',
      async () => (await listServers(cp))[0]?.status === 'offline',
      { timeoutMs: graceMs + 15_000 },
    );
    // Never before the grace period was over.
    expect(Date.now() - restartedAt).toBeGreaterThanOrEqual(graceMs);

    agent = await restartAgent(agent);
    await waitForAgentConnected(agent);
    await waitFor(
      'the server to be online again',
      async () => (await listServers(cp))[0]?.status === 'online',
    );
  });
});
