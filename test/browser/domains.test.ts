import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { api } from '../support/api.js';
import { BASE_IMAGE } from '../support/app-fixture.js';
import {
  createService,
  getService,
  startStage,
  stopStage,
  type Service,
  type Stage,
} from '../support/deploy-helpers.js';
import { dockerOrSkip } from '../support/docker.js';
import { freePort } from '../support/ports.js';
import { waitFor } from '../support/wait.js';
import { capture, chromiumOrSkip, launchChromium, signIn } from './browser.js';

const hasDocker = dockerOrSkip();
const hasChromium = chromiumOrSkip();
const OUTAGE_NOTE =
  'Deploys of a service with host ports have a short outage; add a domain for zero-downtime releases.';

describe.skipIf(!hasDocker || !hasChromium)('domains in the dashboard', () => {
  let stage: Stage;
  let browser: Browser;
  let page: Page;
  let web: Service;
  let legacy: Service;
  const pageErrors: string[] = [];

  beforeAll(async () => {
    const [httpPort, httpsPort, hostPort] = await Promise.all([freePort(), freePort(), freePort()]);
    browser = await launchChromium();
    // The agent's proxy, when it runs one, stays on loopback ports of its own.
    stage = await startStage('domains', {
      agentEnv: {
        BERTH_PROXY_BIND: '127.0.0.1',
        BERTH_PROXY_HTTP_PORT: String(httpPort),
        BERTH_PROXY_HTTPS_PORT: String(httpsPort),
        BERTH_PROXY_IMAGE: 'berth-test/caddy:latest',
      },
    });
    web = await createService(stage, {
      name: 'web',
      source: { type: 'image', image: BASE_IMAGE },
    });
    legacy = await createService(stage, {
      name: 'legacy',
      source: { type: 'image', image: BASE_IMAGE },
      ports: [{ container: 8080, host: hostPort, hostIp: '127.0.0.1' }],
    });
    // Another service already answers to one host.
    await api(stage.cp, 'POST', `/api/v1/environments/${stage.environmentId}/services`, {
      name: 'api',
      source: { type: 'image', image: BASE_IMAGE },
      domains: [{ host: 'api.example.test', port: 8080 }],
    });
    page = await (await browser.newContext()).newPage();
    page.setDefaultTimeout(15_000);
    page.on('pageerror', (err) => pageErrors.push(err.message));
  }, 120_000);
  afterAll(async () => {
    await browser?.close();
    await stopStage(stage);
  });

  it('adds a domain on the Overview, lists it as pending, refuses a taken host, and removes it', async () => {
    await signIn(page, stage.cp.url, stage.cp.token);
    await page.goto(`${stage.cp.url}/#/services/${web.id}/overview`);
    const card = page.getByRole('region', { name: 'Domains' });
    await card.getByText('No domains yet.').waitFor();

    const form = card.getByRole('form', { name: 'Add a domain' });
    expect(await form.getByLabel('HTTPS', { exact: true }).isChecked()).toBe(true);
    expect(await form.getByLabel('Redirect HTTP to HTTPS').isChecked()).toBe(true);
    expect(await form.getByLabel(/Internal TLS/).isChecked()).toBe(false);
    await form.getByLabel('Host', { exact: true }).fill('Shop.Example.test');
    await form.getByLabel('Container port').fill('8080');
    await form.getByRole('button', { name: 'Add domain' }).click();

    const row = card.locator('li.domain[data-host="shop.example.test"]');
    await row.getByText('pending').waitFor();
    expect(await row.textContent()).toContain('→ port 8080');
    const saved = await getService(stage, web.id);
    expect(saved.domains).toEqual([
      { host: 'shop.example.test', port: 8080, https: true, redirectHttp: true, tls: 'acme' },
    ]);
    expect(saved.domainStatus).toEqual([{ host: 'shop.example.test', certificate: 'pending' }]);
    await capture(page, 'domains-card');

    await form.getByLabel('Host', { exact: true }).fill('api.example.test');
    await form.getByLabel('Container port').fill('8080');
    await form.getByRole('button', { name: 'Add domain' }).click();
    await form.getByText(/"api.example.test" is already a domain of service "api"/).waitFor();
    expect((await getService(stage, web.id)).domains).toHaveLength(1);

    await row.getByRole('button', { name: 'Remove shop.example.test' }).click();
    await card.getByText('No domains yet.').waitFor();
    await waitFor('the domain to be removed', async () =>
      (await getService(stage, web.id)).domains?.length === 0 ? true : null,
    );
    expect(pageErrors).toEqual([]);
  });

  it('notes near the Deploy actions that host ports make deploys break off briefly', async () => {
    await page.goto(`${stage.cp.url}/#/services/${legacy.id}/deployments`);
    await page.getByRole('group', { name: 'Service actions' }).waitFor();
    const note = page.getByRole('note');
    await note.getByText(OUTAGE_NOTE).waitFor();
    expect(await note.isVisible()).toBe(true);
    expect(pageErrors).toEqual([]);
  });
});
