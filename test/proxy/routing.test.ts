import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ErrorBody } from '@berth/protocol';
import { api } from '../support/api.js';
import { uniqueId } from '../support/app-fixture.js';
import { caddyImageOrSkip } from '../support/caddy-image.js';
import { deployAndWait, getService, type Service } from '../support/deploy-helpers.js';
import { dockerOrSkip } from '../support/docker.js';
import { PROXY_APP_PORT, getVia, releaseOf } from '../support/proxy-app.js';
import {
  createProxyService,
  proxyAppRepo,
  proxyServiceBody,
  startProxyStage,
  waitForRoute,
  type ProxyStage,
} from '../support/proxy-stage.js';

const enabled = dockerOrSkip() && caddyImageOrSkip();

describe.skipIf(!enabled)('routing through the proxy by host name', () => {
  const run = uniqueId();
  const hostA = `alpha-${run}.berth.test`;
  const hostB = `beta-${run}.berth.test`;
  let ps: ProxyStage;
  let alpha: Service;
  let beta: Service;

  beforeAll(async () => {
    ps = await startProxyStage('proxy-routing');
  });
  afterAll(async () => {
    await ps?.stop();
  });

  it('routes two services on one server, each to its own domain', async () => {
    const repoA = await proxyAppRepo(ps, 'alpha', `alpha-${run}`);
    const repoB = await proxyAppRepo(ps, 'beta', `beta-${run}`);
    alpha = await createProxyService(ps, {
      name: 'alpha',
      repo: repoA,
      domains: [{ host: hostA, port: PROXY_APP_PORT, https: false }],
    });
    beta = await createProxyService(ps, {
      name: 'beta',
      repo: repoB,
      domains: [{ host: hostB, port: PROXY_APP_PORT, https: false }],
    });
    expect(alpha.domains).toEqual([
      { host: hostA, port: PROXY_APP_PORT, https: false, redirectHttp: true, tls: 'acme' },
    ]);
    expect(alpha.drainSeconds).toBe(30);

    await deployAndWait(ps.stage, alpha.id);
    await deployAndWait(ps.stage, beta.id);
    await waitForRoute(ps, hostA, `alpha-${run}`);
    await waitForRoute(ps, hostB, `beta-${run}`);

    // Many requests, each on a new connection: every one reaches its own service.
    for (let i = 0; i < 20; i++) {
      const a = await getVia(ps.httpPort, hostA);
      const b = await getVia(ps.httpPort, hostB);
      expect([a.status, releaseOf(a.body).version]).toEqual([200, `alpha-${run}`]);
      expect([b.status, releaseOf(b.body).version]).toEqual([200, `beta-${run}`]);
    }

    // A host no service has is not sent to either app.
    const unknown = await getVia(ps.httpPort, `nobody-${run}.berth.test`);
    expect(unknown.body).not.toContain(`alpha-${run}`);
    expect(unknown.body).not.toContain(`beta-${run}`);
    expect(unknown.status).not.toBe(502);
  });

  it('refuses the same host on a second service with 409 naming the first', async () => {
    const repoC = await proxyAppRepo(ps, 'gamma', `gamma-${run}`);
    const created = await api<ErrorBody>(
      ps.stage.cp,
      'POST',
      `/api/v1/environments/${ps.stage.environmentId}/services`,
      proxyServiceBody({
        name: 'gamma',
        repo: repoC,
        domains: [{ host: hostA, port: PROXY_APP_PORT, https: false }],
      }),
    );
    expect(created.status).toBe(409);
    expect(created.body.error.code).toBe('CONFLICT');
    expect(created.body.error.message).toMatch(/alpha/);

    // Also on a change of an existing service, whatever the case of the host.
    const patched = await api<ErrorBody>(ps.stage.cp, 'PATCH', `/api/v1/services/${beta.id}`, {
      domains: [
        { host: hostB, port: PROXY_APP_PORT, https: false },
        { host: hostA.toUpperCase(), port: PROXY_APP_PORT, https: false },
      ],
    });
    expect(patched.status).toBe(409);
    expect(patched.body.error.message).toMatch(/alpha/);

    // Nothing changed: beta keeps its one domain and each host still routes as before.
    expect((await getService(ps.stage, beta.id)).domains?.map((d) => d.host)).toEqual([hostB]);
    const a = await getVia(ps.httpPort, hostA);
    expect(releaseOf(a.body).version).toBe(`alpha-${run}`);
  });

  it('moves a host to another service once the first gives it up', async () => {
    const freed = await api(ps.stage.cp, 'PATCH', `/api/v1/services/${alpha.id}`, {
      domains: [],
    });
    expect(freed.status).toBe(200);
    const taken = await api(ps.stage.cp, 'PATCH', `/api/v1/services/${beta.id}`, {
      domains: [
        { host: hostB, port: PROXY_APP_PORT, https: false },
        { host: hostA, port: PROXY_APP_PORT, https: false },
      ],
    });
    expect(taken.status).toBe(200);
    await waitForRoute(ps, hostA, `beta-${run}`);
  });
});
