import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startControlPlane, stopAll, type ControlPlane } from '../support/processes.js';
import { capture, chromiumOrSkip, launchChromium, signIn, submitPassword } from './browser.js';
import { totpCode } from './totp.js';

const hasChromium = chromiumOrSkip();
const PASSWORD = 'owner-password-typed-here';

async function me(cp: ControlPlane, token: string): Promise<number> {
  const res = await fetch(`${cp.url}/api/v1/users/me`, {
    headers: { authorization: `Bearer ${token}` },
  });
  return res.status;
}

describe.skipIf(!hasChromium)('the Account page', () => {
  let cp: ControlPlane;
  let browser: Browser;
  let page: Page;

  beforeAll(async () => {
    cp = await startControlPlane();
    browser = await launchChromium();
    page = await (await browser.newContext()).newPage();
    page.setDefaultTimeout(15_000);
    await signIn(page, cp.url, cp.token);
    await page.getByRole('link', { name: 'owner · owner' }).click();
    await page.getByRole('heading', { name: 'Account', level: 1 }).waitFor();
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await stopAll();
  });

  it('creates an API token shown once, which works until it is revoked', async () => {
    const form = page.getByRole('form', { name: 'New API token' });
    await form.getByLabel('Token name').fill('ci-read');
    await form.getByLabel('Expires after (days)').fill('30');
    await form.getByRole('button', { name: 'Create token' }).click();
    const shown = page.locator('.shown-once-value');
    const token = (await shown.textContent())!;
    expect(token.length).toBeGreaterThan(20);
    await page.getByText('it is not shown again').waitFor();
    const row = page.locator('tr[data-token-id]', { hasText: 'ci-read' });
    await row.waitFor();
    expect(await row.innerText()).toContain('read');
    await capture(page, 'account-token');
    expect(await me(cp, token)).toBe(200);

    await page.reload();
    await row.waitFor();
    expect(await page.content()).not.toContain(token);

    await row.getByRole('button', { name: 'Revoke' }).click();
    await page.getByText('No API tokens').waitFor();
    expect(await me(cp, token)).toBe(401);
  });

  it('sets a password, turns two-factor on, and signs in again with a code', async () => {
    const password = page.getByRole('form', { name: 'Password' });
    await password.getByLabel('New password', { exact: true }).fill(PASSWORD);
    await password.getByLabel('Confirm new password').fill(PASSWORD);
    await password.getByRole('button', { name: 'Set password' }).click();
    const totp = page.getByRole('region', { name: 'Two-factor sign-in' });
    await totp.getByRole('button', { name: 'Set up two-factor' }).click();
    const secret = (await totp.locator('[data-field="Secret key"]').textContent())!;
    expect(await totp.locator('[data-field="otpauth link"]').textContent()).toMatch(
      /^otpauth:\/\/totp\//,
    );
    await totp.getByLabel('Code from the app').fill(totpCode(secret));
    await totp.getByRole('button', { name: 'Turn on' }).click();
    const codes = totp.locator('.recovery-codes li');
    await expect.poll(() => codes.count()).toBe(10);
    await capture(page, 'account-two-factor');
    await totp.getByRole('button', { name: 'I have stored them' }).click();
    await totp.getByRole('button', { name: 'Turn off' }).waitFor();

    await page.getByRole('button', { name: 'Sign out' }).click();
    await submitPassword(page, 'owner', PASSWORD);
    const code = page.getByLabel('Two-factor code');
    await code.waitFor();
    await code.fill('000000');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByText('wrong or already used two-factor code').waitFor();
    // The code of the next step: the one typed to turn two-factor on is spent.
    await code.fill(totpCode(secret, Date.now() + 30_000));
    await page.getByRole('button', { name: 'Sign in' }).click();
    // Back where the sign-out left off.
    await page.getByRole('heading', { name: 'Account', level: 1 }).waitFor();
    await page.getByRole('button', { name: 'Turn off' }).waitFor();
  });
});
