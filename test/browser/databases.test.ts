import { createHash } from 'node:crypto';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { api, listServers } from '../support/api.js';
import { databaseJobs } from '../support/database-agent.js';
import { freePort } from '../support/ports.js';
import { startControlPlane, stopAll, type ControlPlane } from '../support/processes.js';
import { ProtocolAgent } from '../support/protocol-agent.js';
import { enrollBareServer } from '../support/raw-agent.js';
import { waitFor } from '../support/wait.js';
import { capture, chromiumOrSkip, launchChromium, signIn } from './browser.js';

const hasChromium = chromiumOrSkip();
const MASK = '••••••••';

interface DatabaseService {
  id: string;
  name: string;
  source: { type: string; engine?: string; version?: string };
  env: Record<string, string>;
  exposed?: boolean;
  publicPort?: number;
  currentDeploymentId: string | null;
  connection?: { password: string; internalUrl: string; publicUrl?: string };
}

/** A "dump" of a few kilobytes: enough for a size in KB and a real sha256. */
const DUMP = Buffer.from('PGDMP fake custom-format dump\n'.repeat(200));
const DUMP_SHA = createHash('sha256').update(DUMP).digest('hex');

describe.skipIf(!hasChromium)('database services in the dashboard', () => {
  let cp: ControlPlane;
  let agent: ProtocolAgent;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  let serviceId: string;
  let password: string;
  const consoleText: string[] = [];
  const pageErrors: string[] = [];
  const requests: { method: string; path: string; body: string | null }[] = [];

  const service = async () =>
    (await api<DatabaseService>(cp, 'GET', `/api/v1/services/${serviceId}`)).body;
  const tab = (name: string) => page.getByRole('tab', { name, exact: true }).click();
  const toast = (text: string | RegExp) => page.locator('.toast', { hasText: text }).last();
  const clearToasts = () =>
    page.evaluate(() => document.querySelectorAll('.toast').forEach((t) => t.remove()));

  beforeAll(async () => {
    cp = await startControlPlane();
    const identity = await enrollBareServer(cp, 'db-node');
    agent = new ProtocolAgent(cp, identity, {
      jobMs: () => 300,
      runJob: databaseJobs(cp, identity, { dump: DUMP, phaseMs: 700 }),
    });
    agent.start();
    await waitFor('the server online', async () =>
      (await listServers(cp)).some((s) => s.id === identity.agentId && s.status === 'online'),
    );
    const project = await api<{ id: string }>(cp, 'POST', '/api/v1/projects', {
      name: 'databases',
    });
    await api(cp, 'POST', `/api/v1/projects/${project.body.id}/environments`, {
      name: 'production',
      serverId: identity.agentId,
    });
    browser = await launchChromium();
    context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: cp.url });
    page = await context.newPage();
    page.setDefaultTimeout(15_000);
    page.on('console', (message) => consoleText.push(message.text()));
    page.on('pageerror', (err) => pageErrors.push(err.message));
    page.on('request', (request) => {
      const url = new URL(request.url());
      requests.push({
        method: request.method(),
        path: `${url.pathname}${url.search}`,
        body: request.postData(),
      });
    });
    await signIn(page, cp.url, cp.token);
  }, 120_000);

  afterAll(async () => {
    await agent?.stop();
    await browser?.close();
    await stopAll();
  });

  it('creates a PostgreSQL database from the New service form, then deploys it', async () => {
    await page.getByRole('link', { name: 'databases' }).click();
    await page.getByRole('link', { name: /production/ }).click();
    await page.getByRole('link', { name: 'New service' }).click();
    await page.getByLabel('Service name').fill('db');
    await page.getByRole('radio', { name: 'Database' }).check();
    await page.getByLabel('Engine').selectOption({ label: 'PostgreSQL' });
    await page.getByLabel('Version').fill('16');
    // A database gets its port through Expose, and its health check from its engine.
    expect(await page.getByRole('group', { name: 'Ports' }).isHidden()).toBe(true);
    expect(await page.getByRole('group', { name: 'Health check' }).isHidden()).toBe(true);
    await page.getByRole('button', { name: 'Create service' }).click();

    await page.getByRole('heading', { name: 'Deployments', level: 2 }).waitFor();
    serviceId = /#\/services\/([^/]+)/.exec(page.url())![1]!;
    const created = await service();
    expect(created).toMatchObject({
      name: 'db',
      source: { type: 'database', engine: 'postgres', version: '16' },
      exposed: false,
    });
    password = created.connection!.password;
    expect(password).toMatch(/^[A-Za-z0-9]{32}$/);
    expect(created.env.POSTGRES_PASSWORD).toBe(password);
    expect(await page.getByRole('tab', { name: 'Backups' }).isVisible()).toBe(true);

    await page.getByRole('button', { name: 'Deploy', exact: true }).click();
    await waitFor('the first deployment', async () => (await service()).currentDeploymentId);
  });

  it('shows the connection details masked, and the real ones after Reveal', async () => {
    await tab('Overview');
    const card = page.getByRole('region', { name: 'Connection' });
    const value = (label: string) => card.locator(`code[data-field="${label}"]`).innerText();
    await card.waitFor();
    expect(await value('Host')).toBe('db');
    expect(await value('Port')).toBe('5432');
    expect(await value('User')).toBe('app');
    expect(await value('Database')).toBe('app');
    expect(await value('Password')).toBe(MASK);
    expect(await value('Internal URL')).toBe(`postgres://app:${MASK}@db:5432/app`);
    expect(await card.innerHTML()).not.toContain(password);

    // Copying takes the real value without showing it.
    await card.getByRole('button', { name: 'Copy password' }).click();
    expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(password);
    expect(await value('Password')).toBe(MASK);

    await card.getByRole('button', { name: 'Reveal' }).click();
    expect(await value('Password')).toBe(password);
    expect(await value('Internal URL')).toBe(`postgres://app:${password}@db:5432/app`);
    await card.getByRole('button', { name: 'Hide' }).click();
    expect(await value('Password')).toBe(MASK);
  });

  it('exposes the database on the port typed, and the card follows the service', async () => {
    const port = await freePort();
    await page.getByLabel('Public port (optional)').fill(String(port));
    const toggle = page.getByRole('switch', { name: 'Expose publicly' });
    expect(await toggle.isChecked()).toBe(false);
    await toggle.click();
    await toast('Added to queue').waitFor();
    await page.getByText(`Exposed on port ${port}`).waitFor();
    expect(await toggle.isChecked()).toBe(true);
    expect(await service()).toMatchObject({ exposed: true, publicPort: port });
    const publicUrl = page
      .getByRole('region', { name: 'Connection' })
      .locator('code[data-field="Public URL"]');
    expect(await publicUrl.innerText()).toBe(`postgres://app:${MASK}@db-node:${port}/app`);
    await capture(page, 'database-connection', { fullPage: true });
  });

  it('Back up now shows live progress, then a succeeded, verified row with size and sha256', async () => {
    await tab('Backups');
    await page.getByText('Last verified backup: none yet').waitFor();
    await page.getByRole('button', { name: 'Back up now' }).click();
    await toast('Added to queue').waitFor();
    const row = page.locator('tr.backup-row').first();
    // Progress from the agent's backup.progress reports, as the stream sends it.
    await row.locator('.backup-progress', { hasText: /dumping|uploading|verifying/ }).waitFor();
    expect(await row.locator('.backup-progress').innerText()).toMatch(
      /^(dumping|uploading|verifying) · [\d.]+ K?B · [\d.]+ K?B\/s$/,
    );
    await page.locator('tr.backup-row[data-status="succeeded"]').waitFor({ timeout: 20_000 });

    const text = await row.innerText();
    expect(text).toContain('#1');
    expect(text).toContain('Manual');
    expect(text).toContain('5.9 KB');
    expect(await row.locator('.verified').innerText()).toBe('✓');
    expect(await row.locator('.verified').getAttribute('title')).toMatch(/^Verified /);
    expect(await row.locator('.revision code').innerText()).toBe(DUMP_SHA.slice(0, 12));
    expect(await row.getByRole('button', { name: 'Copy sha256' }).getAttribute('data-copy')).toBe(
      DUMP_SHA,
    );
    await page.getByText(/Last verified backup: just now \(#1\)/).waitFor();

    // The Download link serves the stored file.
    const href = await row.getByRole('link', { name: 'Download backup #1' }).getAttribute('href');
    const downloaded = await page.evaluate(async (url) => {
      const res = await fetch(url);
      return (await res.arrayBuffer()).byteLength;
    }, href!);
    expect(downloaded).toBe(DUMP.length);
  });

  it('Restore asks for the service name, and unchecking the safety backup says so', async () => {
    await page.getByRole('button', { name: 'Restore backup #1' }).click();
    const dialog = page.getByRole('dialog', { name: 'Restore backup #1' });
    const confirm = dialog.getByRole('button', { name: 'Restore' });
    const name = dialog.getByLabel('Type db to confirm');
    const safety = dialog.getByLabel('Take a safety backup first');
    expect(await confirm.isDisabled()).toBe(true);
    expect(await safety.isChecked()).toBe(true);
    await name.fill('d');
    expect(await confirm.isDisabled()).toBe(true);
    await name.fill('db2');
    expect(await confirm.isDisabled()).toBe(true);
    await name.fill('db');
    expect(await confirm.isEnabled()).toBe(true);
    await safety.uncheck();
    await clearToasts();
    await confirm.click();
    await toast('Added to queue').waitFor();
    expect(await dialog.isHidden()).toBe(true);
    const restore = requests.filter((r) => r.method === 'POST' && r.path.endsWith('/restore'));
    expect(restore).toHaveLength(1);
    expect(JSON.parse(restore[0]!.body!)).toEqual({ safetyBackup: false });
  });

  it('shows the API’s message for a bad cron, then saves a good schedule', async () => {
    const schedule = page.getByLabel('Schedule (cron)');
    await schedule.fill('61 * * * *');
    await page.getByRole('button', { name: 'Save schedule' }).click();
    const alert = page.getByRole('form', { name: 'Backup schedule' }).getByRole('alert');
    await expect.poll(() => alert.innerText()).toContain('backup.schedule');
    expect(await alert.innerText()).toContain('not a valid cron expression');
    expect((await service()) as { backup?: { schedule: string | null } }).toMatchObject({
      backup: { schedule: null },
    });

    await schedule.fill('0 3 * * *');
    await page.getByLabel('Backups to keep').fill('5');
    await clearToasts();
    await page.getByRole('button', { name: 'Save schedule' }).click();
    await toast('Saved').waitFor();
    expect(await alert.isHidden()).toBe(true);
    expect((await service()) as { backup?: unknown }).toMatchObject({
      backup: { schedule: '0 3 * * *', keep: 5, verify: true },
    });
    await page.getByText('schedule "0 3 * * *", keep 5').waitFor();
    await clearToasts();
    await capture(page, 'database-backups', { fullPage: true });
  });

  it('a 409 EXPOSED answer, when the page had not heard of the exposure, opens the same dialog', async () => {
    // The page's change stream says "not exposed" while the service is: Stop reaches the API.
    const stale = { ...(await service()), exposed: false };
    delete stale.publicPort;
    const snapshot = { service: stale, deployments: [], hasMore: false };
    const isEvents = (url: URL) => url.pathname === '/api/v1/events';
    await page.route(isEvents, (route) =>
      route.fulfill({
        status: 200,
        headers: { 'content-type': 'text/event-stream' },
        body: `event: snapshot\ndata: ${JSON.stringify(snapshot)}\n\n`,
      }),
    );
    await page.goto(`${cp.url}/#/services/${serviceId}/deployments`);
    await page.reload();
    await page.getByRole('heading', { name: 'Deployments', level: 2 }).waitFor();
    await page.getByRole('button', { name: 'Stop', exact: true }).click();
    const dialog = page.getByRole('dialog', { name: 'Unexpose the database first' });
    await dialog.waitFor();
    expect(await dialog.innerText()).toMatch(/exposed publicly on port \d+; unexpose it first/);
    expect(requests.filter((r) => r.method === 'POST' && r.path.endsWith('/stop'))).toHaveLength(1);
    await dialog.getByRole('button', { name: 'Cancel' }).click();
    expect((await service()).exposed).toBe(true);
    await page.unroute(isEvents);
    await page.reload();
  });

  it('Stop while exposed asks to Unexpose first; Unexpose from the dialog, then Stop works', async () => {
    await tab('Deployments');
    await page.getByText(/Deployment history and status/).waitFor();
    const stopsBefore = requests.filter((r) => r.path.endsWith('/stop')).length;
    await page.getByRole('button', { name: 'Stop', exact: true }).click();
    const dialog = page.getByRole('dialog', { name: 'Unexpose the database first' });
    await dialog.waitFor();
    expect(await dialog.innerText()).toMatch(/db is a database exposed publicly on port \d+/);
    // The guard answered without asking the API to stop.
    expect(requests.filter((r) => r.path.endsWith('/stop')).length).toBe(stopsBefore);
    await clearToasts();
    await dialog.getByRole('button', { name: 'Unexpose' }).click();
    await toast('Added to queue').waitFor();
    expect(await dialog.isHidden()).toBe(true);
    await waitFor('the database unexposed', async () => (await service()).exposed === false);

    await clearToasts();
    await page.getByRole('button', { name: 'Stop', exact: true }).click();
    await toast('Added to queue').waitFor();
    await toast('Stop finished').waitFor();
    expect(await page.getByRole('dialog').count()).toBe(0);
  });

  it('never put the password into a URL, the console or a page error', () => {
    expect(requests.filter((r) => r.path.includes(password))).toEqual([]);
    expect(consoleText.filter((t) => t.includes(password))).toEqual([]);
    expect(pageErrors).toEqual([]);
  });
});
