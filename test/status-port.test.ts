import { networkInterfaces } from 'node:os';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createJoinToken } from './support/api.js';
import { dockerOrSkip } from './support/docker.js';
import { waitFor } from './support/wait.js';
import {
  startAgent,
  startControlPlane,
  stopAll,
  waitForAgentConnected,
  type Agent,
} from './support/processes.js';

function nonLoopbackAddresses(): string[] {
  return Object.values(networkInterfaces())
    .flat()
    .filter((a) => a && a.family === 'IPv4' && !a.internal)
    .map((a) => a!.address);
}

async function answers(url: string): Promise<boolean> {
  try {
    await fetch(url, { signal: AbortSignal.timeout(2_000) });
    return true;
  } catch {
    return false;
  }
}

const hasDocker = dockerOrSkip();

describe('the agent status port', () => {
  let agent: Agent;

  beforeAll(async () => {
    const cp = await startControlPlane();
    agent = await startAgent({ controlPlaneUrl: cp.url, joinToken: await createJoinToken(cp) });
    await waitForAgentConnected(agent);
  });
  afterAll(stopAll);

  it('serves /status, /healthz and /metrics on 127.0.0.1', async () => {
    // the first heartbeat is acknowledged within one interval (500 ms in tests)
    const status = await waitFor('a heartbeat acknowledged', async () => {
      const body = (await (await fetch(`${agent.statusUrl}/status`)).json()) as Record<
        string,
        unknown
      >;
      return body.lastHeartbeatAt ? body : null;
    });
    expect(status).toMatchObject({ connected: true, runningJobs: 0 });
    expect(typeof status.agentId).toBe('string');
    expect(status.lastHeartbeatAt).not.toBeNull();
    const healthz = await fetch(`${agent.statusUrl}/healthz`);
    expect(healthz.status).toBe(hasDocker ? 200 : 503);
    const metrics = await (await fetch(`${agent.statusUrl}/metrics`)).text();
    expect(metrics).toMatch(/^berth_agent_connected 1$/m);
  });

  it('does not answer on any other address', async () => {
    const others = ['127.0.0.2', ...nonLoopbackAddresses()];
    for (const host of others) {
      expect(await answers(`http://${host}:${agent.statusPort}/status`), host).toBe(false);
    }
  });
});
