import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { api } from '../support/api.js';
import { NotificationReceiver } from '../support/notification-receiver.js';
import { startControlPlane, stopAll, type ControlPlane } from '../support/processes.js';
import { capture, chromiumOrSkip, launchChromium, signIn } from './browser.js';

const hasChromium = chromiumOrSkip();
/** The part of the URL the API never shows once saved. */
const URL_TOKEN = 'hook-path-token-4711';

interface TargetView {
  id: string;
  type: string;
  url: string;
  events: string[];
  secret?: string;
}

describe.skipIf(!hasChromium)('the Settings page: notification targets', () => {
  let cp: ControlPlane;
  let receiver: NotificationReceiver;
  let browser: Browser;
  let page: Page;
  let projectId: string;

  beforeAll(async () => {
    cp = await startControlPlane();
    receiver = await NotificationReceiver.start();
    await api(cp, 'POST', '/api/v1/projects', { name: 'another' });
    projectId = (await api<{ id: string }>(cp, 'POST', '/api/v1/projects', { name: 'shop' })).body
      .id;
    browser = await launchChromium();
    page = await browser.newPage();
    await signIn(page, cp.url, cp.token);
    await page.getByRole('link', { name: 'Settings' }).click();
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await receiver?.stop();
    await stopAll();
  });

  const targets = async () =>
    (await api<TargetView[]>(cp, 'GET', `/api/v1/projects/${projectId}/notifications`)).body;

  it('adds a webhook target, shows its secret once, and lists it with its URL masked', async () => {
    await page.getByLabel('Project').selectOption({ label: 'shop' });
    await page.getByText('shop sends no notifications').waitFor();
    const form = page.getByRole('form', { name: 'New notification target' });
    expect(await form.getByLabel('Webhook (signed JSON)').isChecked()).toBe(true);
    expect(await form.getByLabel('deployment.failed').isChecked()).toBe(true);
    expect(await form.getByLabel('backup.failed').isChecked()).toBe(true);
    expect(await form.getByLabel('deployment.succeeded').isChecked()).toBe(false);

    await form.getByLabel('URL').fill('ftp://127.0.0.1/hook');
    await form.getByRole('button', { name: 'Add target' }).click();
    await form.getByText('must be an http:// or https:// URL').waitFor();
    expect(await targets()).toEqual([]);

    const url = `${receiver.url}/${URL_TOKEN}?key=${URL_TOKEN}`;
    await form.getByLabel('URL').fill(url);
    await form.getByLabel('deployment.succeeded').check();
    await form.getByRole('button', { name: 'Add target' }).click();
    const dialog = page.getByRole('dialog');
    await dialog.getByText('it will not be shown again').waitFor();
    const secret = await dialog.locator('[data-field="signing-secret"]').innerText();
    expect(secret).toMatch(/^[0-9a-f]{64}$/);
    await expect
      .poll(() => dialog.getByRole('button', { name: 'Copy signing secret' }).count())
      .toBe(1);
    await capture(page, 'settings-notification-secret');
    await dialog.getByRole('button', { name: 'Done' }).click();
    await dialog.waitFor({ state: 'detached' });

    const row = page.locator('tr[data-target-id]');
    await row.waitFor();
    const masked = `${receiver.url}/…`;
    expect(await row.innerText()).toContain('Webhook');
    expect(await row.innerText()).toContain(masked);
    expect(await row.innerText()).toContain(
      'deployment.failed, deployment.succeeded, backup.failed',
    );
    expect(await row.innerText()).not.toContain('backup.succeeded');
    const html = await page.content();
    expect(html).not.toContain(secret);
    expect(html).not.toContain(URL_TOKEN);
    expect(await targets()).toEqual([
      expect.objectContaining({
        type: 'webhook',
        url: masked,
        events: ['deployment.failed', 'deployment.succeeded', 'backup.failed'],
      }),
    ]);
    expect((await targets())[0]).not.toHaveProperty('secret');
    // The form is ready for the next target, with the failures checked again.
    expect(await form.getByLabel('URL').inputValue()).toBe('');
    expect(await form.getByLabel('deployment.succeeded').isChecked()).toBe(false);
    await capture(page, 'settings-notifications', { fullPage: true });
  });

  it("opens a target's deliveries, which are empty before any event", async () => {
    await page.locator('tr[data-target-id]').getByRole('button', { name: 'Deliveries' }).click();
    const dialog = page.getByRole('dialog');
    await dialog.getByText('No deliveries yet').waitFor();
    await dialog.getByRole('button', { name: 'Done' }).click();
    await dialog.waitFor({ state: 'detached' });
    expect(receiver.requests).toEqual([]);
  });

  it('keeps the target when the removal is cancelled, and removes it after confirming', async () => {
    const row = page.locator('tr[data-target-id]');
    await row.getByRole('button', { name: 'Remove' }).click();
    await page.getByRole('dialog').getByRole('button', { name: 'Cancel' }).click();
    await page.getByRole('dialog').waitFor({ state: 'detached' });
    expect(await row.count()).toBe(1);
    expect(await targets()).toHaveLength(1);

    await row.getByRole('button', { name: 'Remove' }).click();
    await page.getByRole('dialog').getByRole('button', { name: 'Remove' }).click();
    await page.getByText('shop sends no notifications').waitFor();
    expect(await row.count()).toBe(0);
    expect(await targets()).toEqual([]);
  });
});
