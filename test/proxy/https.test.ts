import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DomainStatus } from '@berth/protocol';
import { uniqueId } from '../support/app-fixture.js';
import { caddyImageOrSkip } from '../support/caddy-image.js';
import { deployAndWait, getService, type Service } from '../support/deploy-helpers.js';
import { dockerOrSkip } from '../support/docker.js';
import { PROXY_APP_PORT, getTls, getVia, releaseOf, type TlsAnswer } from '../support/proxy-app.js';
import {
  createProxyService,
  proxyAppRepo,
  startProxyStage,
  type ProxyStage,
} from '../support/proxy-stage.js';
import { waitFor } from '../support/wait.js';

const enabled = dockerOrSkip() && caddyImageOrSkip();

describe.skipIf(!enabled)('HTTPS through the proxy', () => {
  const run = uniqueId();
  const acmeHost = `secure-${run}.berth.test`;
  const internalHost = `internal-${run}.berth.test`;
  const version = `tls-${run}`;
  let ps: ProxyStage;
  let service: Service;

  beforeAll(async () => {
    ps = await startProxyStage('proxy-https', { acme: true });
    const repo = await proxyAppRepo(ps, 'web', version);
    service = await createProxyService(ps, {
      name: 'web',
      repo,
      domains: [
        { host: acmeHost, port: PROXY_APP_PORT },
        { host: internalHost, port: PROXY_APP_PORT, tls: 'internal' },
      ],
    });
    await deployAndWait(ps.stage, service.id);
  });
  afterAll(async () => {
    await ps?.stop();
  });

  /** Waits for an HTTPS answer of the app for `host`, trusting only `ca()`. */
  async function waitForHttps(
    host: string,
    ca: () => string | Promise<string>,
  ): Promise<TlsAnswer> {
    let last = '';
    try {
      return await waitFor(
        `HTTPS for ${host} on 127.0.0.1:${ps.httpsPort}`,
        async () => {
          const answer = await getTls(ps.httpsPort, host, await ca()).catch((err: Error) => {
            last = err.message;
            return null;
          });
          if (answer) last = `${answer.status} ${answer.body}`;
          return answer?.status === 200 && releaseOf(answer.body).version === version
            ? answer
            : null;
        },
        { timeoutMs: 60_000, intervalMs: 500 },
      );
    } catch (err) {
      throw new Error(`${(err as Error).message}; last: ${last}`);
    }
  }

  async function statusOf(host: string): Promise<DomainStatus | undefined> {
    return (await getService(ps.stage, service.id)).domainStatus?.find((d) => d.host === host);
  }

  it('serves HTTPS with a certificate pebble issued for the domain', async () => {
    const issuingRoot = await ps.pebble!.issuingRootPem();
    const answer = await waitForHttps(acmeHost, () => issuingRoot);
    expect(answer.authorized).toBe(true);
    expect(answer.peer.subjectaltname).toContain(`DNS:${acmeHost}`);
    expect(answer.peer.issuerCN).toMatch(/pebble/i);

    const status = await waitFor(
      `the domain status of ${acmeHost} to read issued`,
      async () => {
        const s = await statusOf(acmeHost);
        return s?.certificate === 'issued' ? s : null;
      },
      { timeoutMs: 20_000, intervalMs: 500 },
    );
    expect(status.error).toBeUndefined();
    const expiresAt = Date.parse(status.expiresAt ?? '');
    expect(expiresAt).toBeGreaterThan(Date.now());
    // The expiry the API reports is the certificate's own.
    expect(Math.abs(expiresAt - Date.parse(answer.peer.valid_to))).toBeLessThan(2_000);
  });

  it('answers plain HTTP with a redirect to HTTPS on the published port', async () => {
    const answer = await getVia(ps.httpPort, acmeHost, '/some/page?x=1');
    expect(answer.status).toBe(308);
    expect(answer.headers.location).toBe(`https://${acmeHost}:${ps.httpsPort}/some/page?x=1`);
    expect(releaseOf(answer.body).version).not.toBe(version);
  });

  it('serves a tls "internal" domain with the proxy\'s own CA', async () => {
    // Caddy's local CA lives in its storage, in the agent's proxy directory.
    const rootPath = join(
      ps.stage.agent.stateDir,
      'proxy',
      'data',
      'pki',
      'authorities',
      'local',
      'root.crt',
    );
    const answer = await waitForHttps(internalHost, () => {
      if (!existsSync(rootPath)) throw new Error(`${rootPath} does not exist yet`);
      return readFileSync(rootPath, 'utf8');
    });
    expect(answer.authorized).toBe(true);
    expect(answer.peer.subjectaltname).toContain(`DNS:${internalHost}`);
    expect(answer.peer.issuerCN).not.toMatch(/pebble/i);

    // Pebble's root does not vouch for it: this is not an ACME certificate.
    const issuingRoot = await ps.pebble!.issuingRootPem();
    await expect(getTls(ps.httpsPort, internalHost, issuingRoot)).rejects.toThrow();

    const status = await waitFor(
      `the domain status of ${internalHost} to read issued`,
      async () => {
        const s = await statusOf(internalHost);
        return s?.certificate === 'issued' ? s : null;
      },
      { timeoutMs: 20_000, intervalMs: 500 },
    );
    expect(Date.parse(status.expiresAt ?? '')).toBeGreaterThan(Date.now());
  });
});
