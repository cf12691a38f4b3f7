import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listServers } from '../support/api.js';
import { startControlPlane, stopAll, type ControlPlane } from '../support/processes.js';
import { ProtocolAgent } from '../support/protocol-agent.js';
import { enrollBareServer } from '../support/raw-agent.js';
import { waitFor } from '../support/wait.js';
import { capture, chromiumOrSkip, launchChromium, signIn } from './browser.js';

const hasChromium = chromiumOrSkip();
// One more than a page of 50, so the fleet needs two pages.
const FLEET = 51;

describe.skipIf(!hasChromium)('the Servers page with a fleet larger than a page', () => {
  let cp: ControlPlane;
  let agent: ProtocolAgent;
  let browser: Browser;
  let page: Page;
  let onlineId: string;

  beforeAll(async () => {
    cp = await startControlPlane();
    const identities = [];
    for (let i = 0; i < FLEET; i += 1)
      identities.push(await enrollBareServer(cp, `node-${String(i).padStart(2, '0')}`));
    onlineId = identities[7]!.agentId;
    agent = new ProtocolAgent(cp, identities[7]!, { jobMs: () => 10 });
    agent.start();
    await waitFor('one server online', async () =>
      (await listServers(cp)).some((s) => s.id === onlineId && s.status === 'online'),
    );
    browser = await launchChromium();
    page = await browser.newPage();
    await signIn(page, cp.url, cp.token);
    await page.getByRole('link', { name: 'Servers' }).click();
  }, 120_000);

  afterAll(async () => {
    await agent?.stop();
    await browser?.close();
    await stopAll();
  });

  it('shows the fleet a page at a time, in enrollment order', async () => {
    const rows = page.locator('tr[data-server-id]');
    await page.getByText('Page 1: servers 1–50').waitFor();
    expect(await rows.count()).toBe(50);
    expect(await rows.first().innerText()).toContain('node-00');
    await page.getByRole('button', { name: 'Next' }).click();
    await page.getByText('Page 2: servers 51–51').waitFor();
    expect(await rows.count()).toBe(1);
    expect(await rows.first().innerText()).toContain('node-50');
    expect(await page.getByRole('button', { name: 'Next' }).isDisabled()).toBe(true);
    await page.getByRole('button', { name: 'Previous' }).click();
    await page.getByText('Page 1: servers 1–50').waitFor();
  });

  it('filters by status', async () => {
    const rows = page.locator('tr[data-server-id]');
    await page.getByLabel('Show servers').selectOption({ label: 'Online' });
    await page.getByText('Page 1: servers 1–1').waitFor();
    expect(await rows.count()).toBe(1);
    expect(await rows.first().getAttribute('data-server-id')).toBe(onlineId);
    expect(await rows.first().innerText()).toContain('online');
    await capture(page, 'servers-filtered-online');
    await page.getByLabel('Show servers').selectOption({ label: 'Reconnecting' });
    await page.getByText('No reconnecting servers').waitFor();
    await page.getByLabel('Show servers').selectOption({ label: 'Offline' });
    await page.getByText('Page 1: servers 1–50').waitFor();
    expect(await page.locator(`tr[data-server-id="${onlineId}"]`).count()).toBe(0);
  });
});
