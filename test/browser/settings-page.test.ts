import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { api } from '../support/api.js';
import { startControlPlane, stopAll, type ControlPlane } from '../support/processes.js';
import { capture, chromiumOrSkip, launchChromium, signIn } from './browser.js';

const hasChromium = chromiumOrSkip();
const PASSWORD = 'browser-typed-registry-password';

interface RegistryView {
  id: string;
  host: string;
  username: string;
}

describe.skipIf(!hasChromium)('the Settings page: registry credentials', () => {
  let cp: ControlPlane;
  let browser: Browser;
  let page: Page;

  beforeAll(async () => {
    cp = await startControlPlane();
    browser = await launchChromium();
    page = await browser.newPage();
    await signIn(page, cp.url, cp.token);
    await page.getByRole('link', { name: 'Settings' }).click();
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await stopAll();
  });

  const registries = async () => (await api<RegistryView[]>(cp, 'GET', '/api/v1/registries')).body;

  it('adds a credential, lists it without its password, and names a bad host', async () => {
    await page.getByText('No registry credentials').waitFor();
    const form = page.getByRole('form', { name: 'New registry' });
    await form.getByLabel('Host').fill('https://ghcr.io');
    await form.getByLabel('User name').fill('ci-bot');
    await form.getByLabel('Password or token').fill(PASSWORD);
    await form.getByRole('button', { name: 'Add registry' }).click();
    await page.getByText('must be a registry host').waitFor();
    expect(await registries()).toEqual([]);

    await form.getByLabel('Host').fill('ghcr.io');
    await form.getByRole('button', { name: 'Add registry' }).click();
    const row = page.locator('tr[data-registry-id]');
    await row.waitFor();
    expect(await row.innerText()).toContain('ghcr.io');
    expect(await row.innerText()).toContain('ci-bot');
    expect(await page.content()).not.toContain(PASSWORD);
    expect(await registries()).toEqual([
      { id: expect.any(String), host: 'ghcr.io', username: 'ci-bot' },
    ]);
    await capture(page, 'settings-registries');
  });

  it('changes the password, then removes the credential after confirming', async () => {
    const sealedPassword = () =>
      (
        JSON.parse(readFileSync(join(cp.dataDir, 'db.json'), 'utf8')) as {
          registries: { password: string; updatedAt?: string }[];
        }
      ).registries[0];
    const before = sealedPassword();
    const row = page.locator('tr[data-registry-id]');
    await row.getByRole('button', { name: 'Change password' }).click();
    const change = page.getByRole('dialog');
    await change.getByLabel('New password or token').fill('a-new-one');
    await change.getByRole('button', { name: 'Save' }).click();
    await page.getByText('Changed the password for ghcr.io').waitFor();
    // Stored sealed: neither password is in db.json, and the sealed value was replaced.
    const db = readFileSync(join(cp.dataDir, 'db.json'), 'utf8');
    expect(db).not.toContain('a-new-one');
    expect(db).not.toContain(PASSWORD);
    const after = sealedPassword();
    expect(after?.password).toMatch(/^berth:v1:/);
    expect(after?.password).not.toBe(before?.password);
    expect(after?.updatedAt).toBeDefined();

    await row.getByRole('button', { name: 'Remove' }).click();
    await page.getByRole('dialog').getByRole('button', { name: 'Remove' }).click();
    await page.getByText('No registry credentials').waitFor();
    expect(await registries()).toEqual([]);
  });
});
