import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { api, listServers } from './support/api.js';
import {
  restartControlPlane,
  startControlPlane,
  stopAll,
  type ControlPlane,
} from './support/processes.js';
import { ProtocolAgent } from './support/protocol-agent.js';
import { enrollBareServer, type BareIdentity } from './support/raw-agent.js';
import { waitFor } from './support/wait.js';

type Status = 'online' | 'reconnecting' | 'offline';

async function statusOf(cp: ControlPlane, id: string): Promise<Status | undefined> {
  return (await listServers(cp)).find((s) => s.id === id)?.status;
}

describe('fleet status across a control-plane restart', () => {
  let cp: ControlPlane;
  let steady: { identity: BareIdentity; agent: ProtocolAgent };
  let late: { identity: BareIdentity; agent: ProtocolAgent };
  const agentFor = (identity: BareIdentity) =>
    new ProtocolAgent(cp, identity, { jobMs: () => 10, heartbeatMs: 200 });

  beforeAll(async () => {
    // A grace period far longer than the test: "reconnecting" cannot turn "offline" under it.
    cp = await startControlPlane({ env: { BERTH_RESTART_GRACE_MS: '600000' } });
    const a = await enrollBareServer(cp, 'steady');
    const b = await enrollBareServer(cp, 'late');
    steady = { identity: a, agent: agentFor(a) };
    late = { identity: b, agent: agentFor(b) };
    steady.agent.start();
    late.agent.start();
    await waitFor('both servers online', async () => {
      const servers = await listServers(cp);
      return servers.length === 2 && servers.every((s) => s.status === 'online');
    });
  });

  afterAll(async () => {
    await steady.agent.stop();
    await late.agent.stop();
    await stopAll();
  });

  it('shows a server that has not reconnected yet as reconnecting, never online', async () => {
    await cp.process.stop();
    // The late agent's host is down too: it will not be back until it is started again.
    await late.agent.stop();
    cp = await restartControlPlane(cp);

    await waitFor('the steady server back online', async () =>
      (await statusOf(cp, steady.identity.agentId)) === 'online' ? true : null,
    );
    expect(await statusOf(cp, late.identity.agentId)).toBe('reconnecting');
    const one = await api<{ status: Status }>(
      cp,
      'GET',
      `/api/v1/servers/${late.identity.agentId}`,
    );
    expect(one.body.status).toBe('reconnecting');
    const filtered = await api<{ id: string }[]>(cp, 'GET', '/api/v1/servers?status=reconnecting');
    expect(filtered.body.map((s) => s.id)).toEqual([late.identity.agentId]);

    late.agent = agentFor(late.identity);
    late.agent.start();
    await waitFor('the late server online once it is back', async () =>
      (await statusOf(cp, late.identity.agentId)) === 'online' ? true : null,
    );
  });
});
