import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Browser, type Locator, type Page } from 'playwright-core';
import { REPO_ROOT } from '../support/processes.js';

/** Debian's Chromium, which test/run.sh installs; never a browser download. */
export const CHROMIUM = process.env.BERTH_CHROMIUM ?? '/usr/bin/chromium';

export const SCREENSHOTS = join(REPO_ROOT, 'test', 'artifacts', 'screenshots');

const ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
];

/**
 * Whether browser tests can run. Under CI=true a missing Chromium is a failure,
 * never a skip; elsewhere the skip is announced loudly.
 */
export function chromiumOrSkip(): boolean {
  if (existsSync(CHROMIUM)) return true;
  if (process.env.CI === 'true') {
    throw new Error(
      `CI=true but ${CHROMIUM} is missing: install it with "apt-get install -y chromium" (test/run.sh does)`,
    );
  }
  console.warn(
    `\n!!! ${CHROMIUM} is missing: the dashboard browser tests are SKIPPED (apt-get install -y chromium) !!!\n`,
  );
  return false;
}

export function launchChromium(): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM, args: ARGS, timeout: 30_000 });
}

/** Saves a PNG under test/artifacts/screenshots/. */
export async function capture(
  page: Page,
  name: string,
  options: { fullPage?: boolean } = {},
): Promise<string> {
  mkdirSync(SCREENSHOTS, { recursive: true });
  const path = join(SCREENSHOTS, `${name}.png`);
  // The page, not the last notice or a hover left by the test's pointer.
  await page.evaluate(() => document.querySelectorAll('.toast').forEach((t) => t.remove()));
  await page.mouse.move(0, 0);
  await page.screenshot({ path, animations: 'disabled', fullPage: options.fullPage ?? false });
  return path;
}

/** Opens the sign-in form and switches it to the admin token. */
export async function openTokenSignIn(page: Page, url: string): Promise<void> {
  await page.goto(url);
  await page.getByRole('button', { name: 'Use the admin token instead' }).click();
}

/** Signs in with the admin token through the form, as a user would. */
export async function signIn(page: Page, url: string, token: string): Promise<void> {
  await openTokenSignIn(page, url);
  await page.getByLabel('Admin token').fill(token);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('heading', { name: 'Projects', level: 1 }).waitFor();
}

/** Fills the user name and password of the sign-in form and submits them. */
export async function submitPassword(page: Page, name: string, password: string): Promise<void> {
  await page.getByLabel('User name').fill(name);
  await page.getByLabel('Password', { exact: true }).fill(password);
  await page.getByRole('button', { name: 'Sign in' }).click();
}

/** The history row of a deployment number. */
export function deploymentRow(page: Page, number: number): Locator {
  return page.locator('tr.deployment-row').filter({
    has: page.locator('td.number', { hasText: new RegExp(`^#${number}$`) }),
  });
}
