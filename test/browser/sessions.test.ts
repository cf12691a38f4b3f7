import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  restartControlPlane,
  startControlPlane,
  stopAll,
  type ControlPlane,
} from '../support/processes.js';
import { capture, chromiumOrSkip, launchChromium, signIn } from './browser.js';

const hasChromium = chromiumOrSkip();

describe.skipIf(!hasChromium)('dashboard sessions in Chromium', () => {
  let cp: ControlPlane;
  let browser: Browser;
  let page: Page;
  let other: Page;

  beforeAll(async () => {
    cp = await startControlPlane();
    browser = await launchChromium();
    page = await (await browser.newContext()).newPage();
    other = await (await browser.newContext()).newPage();
    page.setDefaultTimeout(15_000);
    other.setDefaultTimeout(15_000);
    await signIn(page, cp.url, cp.token);
    await signIn(other, cp.url, cp.token);
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await stopAll();
  });

  it('stays signed in across a control-plane restart', async () => {
    cp.process.kill('SIGTERM');
    await cp.process.exited;
    cp = await restartControlPlane(cp);
    await page.reload();
    await page.getByRole('heading', { name: 'Projects', level: 1 }).waitFor();
    expect(await page.getByLabel('Admin token').count()).toBe(0);
  });

  it('signs every browser out from Settings', async () => {
    await page.getByRole('link', { name: 'Settings' }).click();
    const card = page.locator('section.card', { hasText: 'Sign out everywhere' });
    await capture(page, 'settings-sessions');
    await card.getByRole('button', { name: 'Sign out everywhere' }).click();
    await page.getByLabel('User name').waitFor();
    await other.reload();
    await other.getByLabel('User name').waitFor();
  });
});
