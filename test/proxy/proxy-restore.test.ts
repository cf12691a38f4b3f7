import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ProxyStatus } from '@berth/protocol';
import { api } from '../support/api.js';
import { docker, uniqueId } from '../support/app-fixture.js';
import { caddyImageOrSkip } from '../support/caddy-image.js';
import { deployAndWait } from '../support/deploy-helpers.js';
import { dockerOrSkip } from '../support/docker.js';
import { PROXY_APP_PORT, getVia, releaseOf } from '../support/proxy-app.js';
import {
  PROXY_CONTAINER,
  createProxyService,
  proxyAppRepo,
  startProxyStage,
  waitForRoute,
  type ProxyStage,
} from '../support/proxy-stage.js';
import { restartAgent, waitForAgentConnected } from '../support/processes.js';
import { waitFor } from '../support/wait.js';

const enabled = dockerOrSkip() && caddyImageOrSkip();

/** How soon routing must work again after the proxy container is killed. */
const RESTORE_WITHIN_MS = 10_000;

describe.skipIf(!enabled)('the agent restores a killed proxy', () => {
  const run = uniqueId();
  const host = `restore-${run}.berth.test`;
  let ps: ProxyStage;

  beforeAll(async () => {
    ps = await startProxyStage('proxy-restore');
  });
  afterAll(async () => {
    await ps?.stop();
  });

  async function proxyStatus(): Promise<ProxyStatus | undefined> {
    const res = await api<{ id: string; proxy?: ProxyStatus }[]>(
      ps.stage.cp,
      'GET',
      '/api/v1/servers',
    );
    return res.body.find((s) => s.id === ps.stage.serverId)?.proxy;
  }

  it('routes again within 10 s after docker kill, and the server shows the restart', async () => {
    const repo = await proxyAppRepo(ps, 'web', `v1-${run}`);
    const service = await createProxyService(ps, {
      name: 'web',
      repo,
      domains: [{ host, port: PROXY_APP_PORT, https: false }],
    });
    await deployAndWait(ps.stage, service.id);
    await waitForRoute(ps, host, `v1-${run}`);
    const before = await waitFor('the server to report its proxy running', async () => {
      const status = await proxyStatus();
      return status?.state === 'running' ? status : null;
    });
    const firstId = await docker(['inspect', '--format', '{{.Id}}', PROXY_CONTAINER]);

    const killedAt = Date.now();
    await docker(['kill', PROXY_CONTAINER]);
    // The kill took effect: nothing routes for a moment.
    const down = await getVia(ps.httpPort, host).catch(() => null);
    expect(
      down === null || releaseOf(down.body).version !== `v1-${run}` || down.status !== 200,
    ).toBe(true);

    await waitForRoute(ps, host, `v1-${run}`, RESTORE_WITHIN_MS);
    const restoredMs = Date.now() - killedAt;
    console.log(`proxy-restore: routing again ${restoredMs} ms after docker kill`);
    expect(restoredMs).toBeLessThanOrEqual(RESTORE_WITHIN_MS);

    const after = await waitFor(
      'the server to report the proxy restart',
      async () => {
        const status = await proxyStatus();
        return status && status.state === 'running' && status.restarts > before.restarts
          ? status
          : null;
      },
      { timeoutMs: 15_000 },
    );
    expect(after.restarts).toBe(before.restarts + 1);
    expect(after.lastRestartAt).toBeDefined();
    expect(Date.parse(after.lastRestartAt!)).toBeGreaterThanOrEqual(killedAt - 1_000);

    // Whether the agent started the container again or made a new one, it runs.
    const state = await docker(['inspect', '--format', '{{.State.Running}}', PROXY_CONTAINER]);
    expect(state).toBe('true');
    expect(firstId).not.toBe('');
  });

  it('routes again after the proxy container is removed altogether', async () => {
    const before = (await proxyStatus())?.restarts ?? 0;
    await docker(['rm', '-f', PROXY_CONTAINER]);
    const removedAt = Date.now();
    await waitForRoute(ps, host, `v1-${run}`, RESTORE_WITHIN_MS);
    console.log(`proxy-restore: routing again ${Date.now() - removedAt} ms after docker rm -f`);
    await waitFor('the server to count the second restart', async () => {
      const status = await proxyStatus();
      return status && status.restarts > before;
    });
  });

  it('a restarted agent gets its routes again and still restores the proxy', async () => {
    await ps.stage.agent.process.stop();
    // Routing does not depend on the agent process: the proxy keeps serving without it.
    await waitForRoute(ps, host, `v1-${run}`, 2_000);
    ps.stage.agent = await restartAgent(ps.stage.agent);
    await waitForAgentConnected(ps.stage.agent);

    await docker(['kill', PROXY_CONTAINER]);
    const killedAt = Date.now();
    await waitForRoute(ps, host, `v1-${run}`, RESTORE_WITHIN_MS);
    console.log(
      `proxy-restore: after an agent restart, routing again ${Date.now() - killedAt} ms after docker kill`,
    );
  });
});
