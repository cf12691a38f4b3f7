import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { api } from '../support/api.js';
import { startControlPlane, stopAll, type ControlPlane } from '../support/processes.js';
import { enrollBareServer } from '../support/raw-agent.js';
import { capture, chromiumOrSkip, launchChromium, signIn } from './browser.js';

const hasChromium = chromiumOrSkip();
const HOST_KEY =
  '[git.example.com]:2222 ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl';
const FINGERPRINT = 'SHA256:+DiY3wvvV6TuJJhbpZisF/zLDA0zPMSvHdkr4UvCOqU';

interface Credential {
  id: string;
  publicKey: string;
}
interface Service {
  id: string;
  source: { credentialId?: string };
}

describe.skipIf(!hasChromium)('a private git source in the dashboard', () => {
  let cp: ControlPlane;
  let browser: Browser;
  let page: Page;
  let credential: Credential;
  let service: Service;

  beforeAll(async () => {
    cp = await startControlPlane();
    const identity = await enrollBareServer(cp, 'git-node');
    const project = await api<{ id: string }>(cp, 'POST', '/api/v1/projects', { name: 'private' });
    const env = await api<{ id: string }>(
      cp,
      'POST',
      `/api/v1/projects/${project.body.id}/environments`,
      { name: 'production', serverId: identity.agentId },
    );
    credential = (
      await api<Credential>(cp, 'POST', '/api/v1/git-credentials', {
        type: 'ssh',
        knownHosts: HOST_KEY,
      })
    ).body;
    service = (
      await api<Service>(cp, 'POST', `/api/v1/environments/${env.body.id}/services`, {
        name: 'web',
        source: {
          type: 'git',
          repository: 'ssh://git@git.example.com:2222/acme/web.git',
          ref: 'main',
          credentialId: credential.id,
        },
      })
    ).body;
    browser = await launchChromium();
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: cp.url });
    page = await context.newPage();
    page.setDefaultTimeout(15_000);
    await signIn(page, cp.url, cp.token);
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await stopAll();
  });

  it('shows the deploy key to copy and the host key fingerprint, and Save keeps the credential', async () => {
    await page.goto(`${cp.url}/#/services/${service.id}/overview`);
    const card = page.getByRole('region', { name: 'Git credential' });
    await expect
      .poll(() => card.locator('[data-field="Public key"]').textContent())
      .toBe(credential.publicKey);
    expect(await card.textContent()).toContain(FINGERPRINT);
    await card.getByRole('button', { name: 'Copy public key' }).click();
    expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(credential.publicKey);
    await capture(page, 'git-credential-card');

    await page.getByRole('button', { name: 'Save' }).click();
    await page.locator('.toast', { hasText: 'Saved' }).waitFor();
    const saved = await api<Service>(cp, 'GET', `/api/v1/services/${service.id}`);
    expect(saved.body.source.credentialId).toBe(credential.id);
  });
});
