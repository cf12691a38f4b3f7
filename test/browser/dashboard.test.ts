import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { api } from '../support/api.js';
import { BASE_IMAGE, markerInstruction, markerOutput, uniqueId } from '../support/app-fixture.js';
import {
  getService,
  listDeployments,
  startStage,
  stopStage,
  waitForServiceStatus,
  type Service,
  type Stage,
} from '../support/deploy-helpers.js';
import { dockerOrSkip } from '../support/docker.js';
import { restartAgent, waitForAgentConnected } from '../support/processes.js';
import { GitServer, type GitRepo } from '../support/git-server.js';
import { waitFor } from '../support/wait.js';
import {
  capture,
  chromiumOrSkip,
  deploymentRow,
  launchChromium,
  openTokenSignIn,
  signIn,
} from './browser.js';

const hasDocker = dockerOrSkip();
const hasChromium = chromiumOrSkip();

/** A deployment here takes a few seconds; this leaves room on a slow machine, in ms. */
const DEPLOY_MS = 90_000;

/** An app whose build prints the marker and whose container writes to stdout and stderr. */
function appFiles(marker: string, version: string, extra: string[] = []): Record<string, string> {
  const dockerfile = [
    `FROM ${BASE_IMAGE}`,
    markerInstruction(marker),
    ...extra,
    'COPY www /www',
    `CMD ["sh", "-c", "echo ${marker}-out-$((6*7)); echo ${marker}-err-$((6*7)) >&2; exec httpd -f -p 8080 -h /www"]`,
  ];
  return { Dockerfile: `${dockerfile.join('\n')}\n`, 'www/index.html': `${version}\n` };
}

/** Drops toasts, so the next one looked for is new. */
async function clearToasts(page: Page): Promise<void> {
  await page.evaluate(() => document.querySelectorAll('.toast').forEach((t) => t.remove()));
}

describe.skipIf(!hasDocker || !hasChromium)('dashboard in a real browser', () => {
  const run = uniqueId();
  const marker = `dash-${run}`;
  let stage: Stage;
  let gitServer: GitServer;
  let repo: GitRepo;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  let service: Service;
  let firstCommit: string;
  let secondCommit: string;
  /** alert() calls and page errors: none may happen. */
  const alerts: string[] = [];
  const pageErrors: string[] = [];
  /** Every request the page made, to check what it did and did not call. */
  const requests: { method: string; path: string }[] = [];

  beforeAll(async () => {
    [gitServer, browser] = await Promise.all([GitServer.start(), launchChromium()]);
    stage = await startStage('dashboard');
    repo = await gitServer.createRepo(`app-${run}`);
    firstCommit = await repo.commit(appFiles(marker, 'v1'), 'v1');
    context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    page = await context.newPage();
    page.setDefaultTimeout(15_000);
    page.on('dialog', (dialog) => {
      alerts.push(dialog.message());
      void dialog.dismiss();
    });
    page.on('pageerror', (err) => pageErrors.push(err.message));
    page.on('request', (request) => {
      const url = new URL(request.url());
      requests.push({ method: request.method(), path: `${url.pathname}${url.search}` });
    });
  });
  afterAll(async () => {
    await browser?.close();
    await stopStage(stage);
    await gitServer?.stop();
  });

  it('signs in with the admin token into an HttpOnly, SameSite=Strict session', async () => {
    await openTokenSignIn(page, stage.cp.url);
    await page.getByLabel('Admin token').fill('not-the-token');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await expect.poll(() => page.getByRole('alert').textContent()).toContain('wrong admin token');

    await signIn(page, stage.cp.url, stage.cp.token);
    const [cookie] = await context.cookies();
    expect(cookie).toMatchObject({ name: 'berth_session', httpOnly: true, sameSite: 'Strict' });
    expect(cookie!.value).not.toContain(stage.cp.token);

    // The cookie alone does not make changes: a request without the CSRF token is refused.
    const forged = await page.evaluate(async () => {
      const res = await fetch('/api/v1/projects', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ name: 'forged' }),
      });
      return res.status;
    });
    expect(forged).toBe(403);
  });

  it('walks Projects → Environment → New service, with a breadcrumb', async () => {
    await page.getByRole('link', { name: 'dashboard' }).click();
    await page.getByRole('link', { name: /production/ }).click();
    await page.getByRole('link', { name: 'New service' }).click();
    await page.getByLabel('Service name').fill('web');
    await page.getByLabel('Repository URL').fill(repo.url);
    await page.getByLabel('Branch, tag or commit').fill('main');
    await page.getByRole('button', { name: 'Add variable' }).click();
    await page.getByLabel('Variable name').fill('GREETING');
    const value = page.getByLabel('Value of GREETING', { exact: true });
    await value.fill('hello secret');
    expect(await value.getAttribute('type')).toBe('password');
    await page.getByLabel('Seconds it must stay running').fill('1');
    await page.getByRole('button', { name: 'Create service' }).click();

    await page.getByRole('heading', { name: 'Deployments', level: 2 }).waitFor();
    await expect
      .poll(() => page.getByRole('navigation', { name: 'Breadcrumb' }).innerText())
      .toMatch(/Projects\s+dashboard\s+production\s+web/);
    expect(await page.getByText('Deployment history and status').isVisible()).toBe(true);
    const id = /#\/services\/([^/]+)/.exec(page.url())?.[1];
    if (!id) throw new Error(`not on a service page: ${page.url()}`);
    service = await getService(stage, id);
    stage.serviceIds.push(service.id);
    expect(service).toMatchObject({
      name: 'web',
      env: { GREETING: 'hello secret' },
      healthcheck: { type: 'running', seconds: 1 },
    });
  });

  it('answers Restart before any deployment with "deploy first", without calling the API', async () => {
    const before = requests.length;
    await page.getByRole('button', { name: 'Restart' }).click();
    const notice = page.locator('.toast', { hasText: 'Deploy first' });
    await notice.waitFor();
    expect(await notice.innerText()).toMatch(/deploy/i);
    expect(requests.slice(before).filter((r) => r.path.includes('/restart'))).toEqual([]);
  });

  it('Deploy runs at once, without a dialog; the row goes from queued to succeeded live', async () => {
    const primary = page.getByRole('button', { name: 'Deploy', exact: true });
    expect(await primary.isVisible()).toBe(true);
    await capture(page, 'deployments-before-first-deploy');
    await page.evaluate(() => {
      const seen: string[] = [];
      Object.assign(window, { rowStatuses: seen });
      const record = () => {
        const status = document.querySelector('tr.deployment-row')?.getAttribute('data-status');
        if (status && seen[seen.length - 1] !== status) seen.push(status);
      };
      new MutationObserver(record).observe(document.body, {
        subtree: true,
        childList: true,
        attributes: true,
        attributeFilter: ['data-status'],
      });
    });
    const before = requests.length;
    await primary.click();
    expect(await page.getByRole('dialog').count()).toBe(0);
    await page.locator('.toast', { hasText: 'Added to queue' }).first().waitFor();

    const row = deploymentRow(page, 1);
    await row.and(page.locator('[data-status="succeeded"]')).waitFor({ timeout: DEPLOY_MS });
    const statuses = await page.evaluate(
      () => (window as unknown as { rowStatuses: string[] }).rowStatuses,
    );
    expect(statuses[0]).toBe('queued');
    expect(statuses.at(-1)).toBe('succeeded');
    // Updates came from the stream: no page reload and no polling of deployments.
    const polled = requests
      .slice(before)
      .filter((r) => r.method === 'GET' && /\/deployments(\/[^/]+)?(\?|$)/.test(r.path));
    expect(polled).toEqual([]);
    expect(requests.slice(before).some((r) => r.path === '/')).toBe(false);

    expect(await row.locator('[data-cache]').getAttribute('data-cache')).toBe('use-existing');
    expect(await row.locator('.revision code').innerText()).toBe(firstCommit.slice(0, 7));
    expect(
      await row.getByRole('button', { name: 'Copy commit SHA' }).getAttribute('data-copy'),
    ).toBe(firstCommit);
    await page.getByRole('button', { name: 'Redeploy', exact: true }).waitFor();
  });

  it('View Logs streams the deployment log, with build lines and system lines marked', async () => {
    const row = deploymentRow(page, 1);
    await row.getByRole('button', { name: 'View Logs' }).click();
    const log = page.getByRole('log', { name: 'Log of deployment #1' });
    await log
      .locator('.log-line', { hasText: markerOutput(marker) })
      .first()
      .waitFor();
    expect(await log.locator('.log-build').count()).toBeGreaterThan(3);
    const system = log.locator('.log-system').first();
    expect(await system.locator('.log-tag').innerText()).toMatch(/system/i);
    await page.getByText('Finished: succeeded').waitFor();
    // The new container's first output is part of the log; its stderr is marked as such.
    const stderr = log.locator('.log-stderr', { hasText: `${marker}-err-42` });
    expect(await stderr.locator('.log-tag').innerText()).toMatch(/stderr/i);
    expect(await log.locator('.log-stdout', { hasText: `${marker}-out-42` }).count()).toBe(1);
    await capture(page, 'deployment-row-view-logs', { fullPage: true });

    // Scrolled up, the view stops following the tail and offers a way back.
    await log.evaluate((el) => {
      el.scrollTop = 0;
      el.dispatchEvent(new Event('scroll'));
    });
    await page.getByRole('button', { name: 'Jump to latest' }).waitFor();
    await page.getByRole('button', { name: 'Jump to latest' }).click();
    expect(await page.locator('.log-view').getAttribute('data-following')).toBe('true');
    await row.getByRole('button', { name: 'Hide Logs' }).click();
    expect(await page.getByRole('log').count()).toBe(0);
  });

  it('the history row shows the total; expanding it shows a bar chart of the phases', async () => {
    const row = deploymentRow(page, 1);
    const total = row.getByRole('button', { name: /^Timeline of deployment #1: / });
    expect(await total.innerText()).toMatch(/^\d+(\.\d)? s$/);
    expect(await total.getAttribute('aria-expanded')).toBe('false');
    await total.click();
    const chart = page.getByRole('list', { name: 'Timeline of deployment #1' });
    await chart.waitFor();
    const phases = await chart.locator('.phase').evaluateAll((items) =>
      items.map((item) => ({
        name: item.querySelector('.phase-name')?.textContent,
        time: item.querySelector('.phase-time')?.textContent,
        width: (item.querySelector('.phase-bar') as HTMLElement | null)?.style.width,
      })),
    );
    expect(phases.map((p) => p.name)).toEqual([
      'queued',
      'dispatch',
      'fetch',
      'build',
      'create',
      'start',
      'healthcheck',
      'cleanup',
    ]);
    for (const phase of phases) {
      expect(phase.time).toMatch(/^\d+(\.\d)? s$/);
      expect(phase.width).toMatch(/%$/);
    }
    await capture(page, 'deployment-row-timeline');
    await total.click();
    await chart.waitFor({ state: 'detached' });
  });

  it('Redeploy opens the Redeployment dialog, which keeps focus inside it', async () => {
    const redeploy = page.getByRole('button', { name: 'Redeploy', exact: true });
    await redeploy.focus();
    await page.keyboard.press('Enter');
    const dialog = page.getByRole('dialog', { name: 'Redeployment' });
    await dialog.waitFor();
    for (let i = 0; i < 8; i++) {
      await page.keyboard.press(i % 3 === 2 ? 'Shift+Tab' : 'Tab');
      expect(await dialog.evaluate((el) => el.contains(document.activeElement))).toBe(true);
    }
    await page.keyboard.press('Escape');
    await dialog.waitFor({ state: 'detached' });
    expect(await redeploy.evaluate((el) => el === document.activeElement)).toBe(true);
  });

  it('Redeploy with Without cache queues a row that records cache "none"', async () => {
    secondCommit = await repo.commit(appFiles(marker, 'v2'), 'v2');
    await page.getByRole('button', { name: 'Redeploy', exact: true }).click();
    const dialog = page.getByRole('dialog', { name: 'Redeployment' });
    await dialog.getByLabel('Without cache').check();
    await capture(page, 'redeployment-dialog-without-cache');
    await dialog.getByLabel('Use existing cache').check();
    await capture(page, 'redeployment-dialog-use-existing-cache');
    await dialog.getByLabel('Without cache').check();
    await dialog.getByRole('button', { name: 'Redeploy' }).click();
    await dialog.waitFor({ state: 'detached' });
    await page.locator('.toast', { hasText: 'Added to queue' }).first().waitFor();

    const row = deploymentRow(page, 2);
    await row.waitFor();
    expect(await row.locator('[data-cache]').getAttribute('data-cache')).toBe('none');
    expect(await row.innerText()).toContain('Without cache');
    // Opened while it runs, the log streams live and ends with the outcome.
    await row.getByRole('button', { name: 'View Logs' }).click();
    const log = page.getByRole('log', { name: 'Log of deployment #2' });
    await page.locator('.log-status[data-kind="live"]').waitFor();
    await row.and(page.locator('[data-status="succeeded"]')).waitFor({ timeout: DEPLOY_MS });
    await page.getByText('Finished: succeeded').waitFor();
    expect(await log.locator('.log-line', { hasText: markerOutput(marker) }).count()).toBe(1);
    const numbers = await log
      .locator('.log-line')
      .evaluateAll((lines) => lines.map((line) => Number(line.getAttribute('data-seq'))));
    expect(numbers).toEqual(numbers.map((_, i) => i + 1));
    await row.getByRole('button', { name: 'Hide Logs' }).click();
    const [latest] = await listDeployments(stage, service.id);
    expect(latest).toMatchObject({
      number: 2,
      cache: 'none',
      trigger: 'redeploy',
      status: 'succeeded',
    });
    expect(await row.locator('.revision code').innerText()).toBe(secondCommit.slice(0, 7));
  });

  it('Restart queues a job and says "Added to queue"', async () => {
    await clearToasts(page);
    await page.getByRole('button', { name: 'Restart' }).click();
    await page.locator('.toast', { hasText: 'Added to queue' }).waitFor();
    await page.locator('.toast', { hasText: 'Restart finished' }).waitFor({ timeout: DEPLOY_MS });
  });

  it('Stop queues a stop, and the service shows stopped without a reload', async () => {
    await clearToasts(page);
    await page.getByRole('button', { name: 'Stop' }).click();
    await page.locator('.toast', { hasText: 'Added to queue' }).waitFor();
    await page.locator('.service-title [data-status="stopped"]').waitFor({ timeout: DEPLOY_MS });
    await waitForServiceStatus(stage, service.id, 'stopped');
  });

  it('Rollback from an older row deploys its exact image as a new row', async () => {
    const older = deploymentRow(page, 1);
    // The current release (#2) offers no rollback; the older successful one does.
    expect(await deploymentRow(page, 2).getByRole('button', { name: 'Rollback' }).isVisible()).toBe(
      false,
    );
    await older.getByRole('button', { name: 'Rollback' }).click();
    await page.locator('.toast', { hasText: 'Added to queue' }).first().waitFor();
    const row = deploymentRow(page, 3);
    await row.waitFor();
    expect(await row.innerText()).toContain('Rollback');
    await row.and(page.locator('[data-status="succeeded"]')).waitFor({ timeout: DEPLOY_MS });
    const list = await listDeployments(stage, service.id);
    const byNumber = new Map(list.map((d) => [d.number, d]));
    expect(byNumber.get(3)).toMatchObject({ trigger: 'rollback', status: 'succeeded' });
    expect(byNumber.get(3)!.imageId).toBe(byNumber.get(1)!.imageId);
    expect(byNumber.get(3)!.imageId).not.toBe(byNumber.get(2)!.imageId);
    expect(await row.locator('.revision code').innerText()).toBe(firstCommit.slice(0, 7));
    await page.locator('.service-title [data-status="running"]').waitFor();
    await capture(page, 'deployments-tab');
  });

  it('a build whose agent goes silent shows "connection lost"; Cancel then ends it at once', async () => {
    await repo.commit(appFiles(marker, 'v3', ['RUN sleep 60']), 'slow');
    await page.getByRole('button', { name: 'Redeploy', exact: true }).click();
    const dialog = page.getByRole('dialog', { name: 'Redeployment' });
    await dialog.getByRole('button', { name: 'Redeploy' }).click();
    const row = deploymentRow(page, 4);
    await row.and(page.locator('[data-status="building"]')).waitFor({ timeout: DEPLOY_MS });
    const lostBadge = row.locator('[data-status="contact-lost"]');
    expect(await lostBadge.isVisible()).toBe(false);

    stage.agent.process.kill('SIGKILL');
    await stage.agent.process.exited;
    // Past the liveness window the row keeps its status and says the agent is out of contact.
    await lostBadge.waitFor({ state: 'visible', timeout: 20_000 });
    expect(await lostBadge.innerText()).toBe('connection lost');
    expect(await row.getAttribute('data-status')).toBe('building');
    await capture(page, 'deployment-row-connection-lost');

    await row.getByRole('button', { name: 'Cancel' }).click();
    await row.and(page.locator('[data-status="cancelled"]')).waitFor({ timeout: 10_000 });
    expect(await lostBadge.isVisible()).toBe(false);
    expect(await row.getByRole('button', { name: 'Cancel' }).isVisible()).toBe(false);

    stage.agent = await restartAgent(stage.agent);
    await waitForAgentConnected(stage.agent);
    // The agent, told of the cancel when it is back, leaves the release it had running.
    await page.locator('.service-title [data-status="running"]').waitFor({ timeout: DEPLOY_MS });
    expect((await listDeployments(stage, service.id)).find((d) => d.number === 4)?.status).toBe(
      'cancelled',
    );
  });

  it('the Logs tab follows the running container, marking stderr', async () => {
    // Arrow keys move along the tab list: left from the first tab wraps to the last.
    await page.getByRole('tab', { name: 'Deployments' }).focus();
    await page.keyboard.press('ArrowLeft');
    await expect
      .poll(() => page.getByRole('tab', { name: 'Logs' }).getAttribute('aria-selected'))
      .toBe('true');
    const log = page.getByRole('log', { name: 'Output of web' });
    await log
      .locator('.log-line', { hasText: `${marker}-out-42` })
      .first()
      .waitFor();
    const stderr = log.locator('.log-stderr', { hasText: `${marker}-err-42` }).first();
    await stderr.waitFor();
    expect(await stderr.locator('.log-tag').innerText()).toMatch(/stderr/i);
  });

  it('the Overview tab hides env values until revealed, and Save patches the service', async () => {
    await page.getByRole('tab', { name: 'Overview' }).click();
    const value = page.getByLabel('Value of GREETING', { exact: true });
    expect(await value.getAttribute('type')).toBe('password');
    await page.getByRole('button', { name: 'Show value of GREETING' }).click();
    expect(await value.getAttribute('type')).toBe('text');
    expect(await value.inputValue()).toBe('hello secret');
    await page.getByLabel('Branch, tag or commit').fill(firstCommit);
    await page.getByRole('button', { name: 'Save' }).click();
    await page.locator('.toast', { hasText: 'Saved' }).waitFor();
    await waitFor('the saved ref', async () => {
      const saved = await getService(stage, service.id);
      return saved.source.type === 'git' && saved.source.ref === firstCommit;
    });
    await page.getByRole('tab', { name: 'Deployments' }).click();
  });

  it('shows a service named like markup as text, and runs none of it', async () => {
    const name = '<img src=x onerror=alert(1)>';
    const created = await api<Service>(
      stage.cp,
      'POST',
      `/api/v1/environments/${stage.environmentId}/services`,
      {
        name,
        source: { type: 'image', image: 'nginx:1.27' },
        env: { NOTE: '</script><script>alert(2)</script>' },
      },
    );
    expect(created.status).toBe(201);
    stage.serviceIds.push(created.body.id);

    await page.getByRole('link', { name: 'production' }).click();
    await page.getByRole('link', { name }).waitFor();
    await page.getByRole('link', { name }).click();
    const title = page.getByRole('heading', { name, level: 1 });
    await title.waitFor();
    expect(await title.textContent()).toBe(name);
    await page.getByRole('tab', { name: 'Overview' }).click();
    await page.getByRole('button', { name: 'Show value of NOTE' }).click();
    expect(await page.getByLabel('Value of NOTE', { exact: true }).inputValue()).toBe(
      '</script><script>alert(2)</script>',
    );
    expect(await page.locator('img').count()).toBe(0);
    expect(await page.locator('main script').count()).toBe(0);
    expect(alerts).toEqual([]);
  });

  it('lists servers with status, last seen, agent and Docker versions; Add server shows the install command', async () => {
    await page.getByRole('link', { name: 'Servers' }).click();
    const row = page.locator(`tr[data-server-id="${stage.serverId}"]`);
    await row.waitFor();
    const text = await row.innerText();
    expect(text).toContain('online');
    expect(text).toMatch(/just now|\d+ s ago/);
    expect(text).toMatch(/\d+\.\d+\.\d+/);
    await page.getByRole('button', { name: 'Add server' }).click();
    const dialog = page.getByRole('dialog', { name: 'Add server' });
    const command = await dialog.locator('code').innerText();
    expect(command).toContain(`${stage.cp.url}/install.sh`);
    expect(command).toMatch(/--token \S{20,}/);
    await capture(page, 'servers-add-server');
    await dialog.getByRole('button', { name: 'Done' }).click();
    await dialog.waitFor({ state: 'detached' });
  });

  it('says so when a service does not exist, instead of loading forever', async () => {
    await page.goto(`${stage.cp.url}/#/services/svc_missing/deployments`);
    await page.getByText('Service not found').first().waitFor();
  });

  it('is legible at phone width', async () => {
    await page.goto(`${stage.cp.url}/#/services/${service.id}/deployments`);
    await page.setViewportSize({ width: 390, height: 844 });
    await deploymentRow(page, 1).waitFor();
    const overflow = await page.evaluate(
      () => document.documentElement.scrollWidth - document.documentElement.clientWidth,
    );
    expect(overflow).toBeLessThanOrEqual(0);
    await capture(page, 'deployments-tab-phone');
    expect(pageErrors).toEqual([]);
    expect(alerts).toEqual([]);
  });
});
