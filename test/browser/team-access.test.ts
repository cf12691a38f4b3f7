import { randomUUID } from 'node:crypto';
import type { Browser, Page, Response } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { api } from '../support/api.js';
import { startControlPlane, stopAll, type ControlPlane } from '../support/processes.js';
import { enrollBareServer } from '../support/raw-agent.js';
import { capture, chromiumOrSkip, launchChromium, signIn, submitPassword } from './browser.js';

const hasChromium = chromiumOrSkip();
const SECRET = `s3cr3t-viewer-check-${randomUUID().slice(0, 8)}`;
const PASSWORD = 'a-long-enough-password';

/** Every API answer a page got, as text, to search for the secret (SSE streams apart). */
function recordAnswers(page: Page): string[] {
  const answers: string[] = [];
  page.on('response', (res: Response) => {
    if (!new URL(res.url()).pathname.match(/^\/(api|session)/)) return;
    if (res.headers()['content-type']?.includes('event-stream')) return;
    void res.text().then(
      (text) => answers.push(`${res.url()} ${text}`),
      () => undefined,
    );
  });
  return answers;
}

/** The service snapshot the change stream sends the signed-in browser, read raw. */
async function streamedSnapshot(cp: ControlPlane, page: Page, serviceId: string) {
  const cookies = await page.context().cookies();
  const res = await fetch(`${cp.url}/api/v1/events?serviceId=${serviceId}`, {
    headers: { cookie: cookies.map((c) => `${c.name}=${c.value}`).join('; ') },
  });
  expect(res.status).toBe(200);
  const reader = res.body!.getReader();
  let text = '';
  while (!text.includes('event: snapshot') || !text.includes('\n\n', text.indexOf('snapshot'))) {
    const { value, done } = await reader.read();
    if (done) break;
    text += new TextDecoder().decode(value);
  }
  await reader.cancel();
  return text;
}

describe.skipIf(!hasChromium)('team access in the dashboard', () => {
  let cp: ControlPlane;
  let browser: Browser;
  let owner: Page;
  let projectId: string;
  let serviceId: string;

  beforeAll(async () => {
    cp = await startControlPlane();
    const identity = await enrollBareServer(cp, 'team-node');
    projectId = (await api<{ id: string }>(cp, 'POST', '/api/v1/projects', { name: 'shop' })).body
      .id;
    const env = await api<{ id: string }>(
      cp,
      'POST',
      `/api/v1/projects/${projectId}/environments`,
      {
        name: 'production',
        serverId: identity.agentId,
      },
    );
    const service = await api<{ id: string }>(
      cp,
      'POST',
      `/api/v1/environments/${env.body.id}/services`,
      {
        name: 'web',
        source: { type: 'image', image: '127.0.0.1:5000/team/web:1' },
        env: { API_KEY: SECRET },
      },
    );
    expect(service.status).toBe(201);
    serviceId = service.body.id;
    browser = await launchChromium();
    owner = await (await browser.newContext()).newPage();
    owner.setDefaultTimeout(15_000);
    await signIn(owner, cp.url, cp.token);
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await stopAll();
  });

  /** A fresh browser signed in as the invited user, through the invite link. */
  async function acceptInBrowser(link: string, name: string): Promise<Page> {
    const page = await (await browser.newContext()).newPage();
    page.setDefaultTimeout(15_000);
    await page.goto(link);
    const form = page.getByRole('form', { name: 'Create your account' });
    await form.getByLabel('User name').fill(name);
    await form.getByLabel('Password', { exact: true }).fill(PASSWORD);
    await form.getByLabel('Confirm password').fill(PASSWORD);
    await form.getByRole('button', { name: 'Create account' }).click();
    await page.getByRole('heading', { name: 'Projects', level: 1 }).waitFor();
    return page;
  }

  it('invites a viewer who sees the service but never its secret nor a button to change it', async () => {
    await owner.getByRole('link', { name: 'Users' }).click();
    const form = owner.getByRole('form', { name: 'New invite' });
    await form.getByRole('button', { name: 'Add project' }).click();
    await form.getByLabel('Project', { exact: true }).selectOption({ label: 'shop' });
    await form.getByLabel('Role').selectOption('viewer');
    await form.getByLabel('Note').fill('vera, read only');
    await form.getByRole('button', { name: 'Create invite' }).click();
    const link = await owner.locator('.shown-once-value').textContent();
    expect(link).toMatch(/\/#\/invite\/\S+$/);
    await owner.locator('tr[data-invite-id]', { hasText: 'vera, read only' }).waitFor();
    await capture(owner, 'users-invite');

    const viewer = await acceptInBrowser(link!, 'vera');
    const answers = recordAnswers(viewer);
    await viewer.getByText('vera · member').waitFor();
    expect(await viewer.getByRole('link', { name: 'Users' }).count()).toBe(0);
    expect(await viewer.getByRole('form', { name: 'New project' }).count()).toBe(0);

    await viewer.getByRole('link', { name: 'shop' }).click();
    await viewer.getByRole('link', { name: 'production' }).waitFor();
    expect(await viewer.getByRole('form', { name: 'New environment' }).count()).toBe(0);

    await viewer.goto(`${cp.url}/#/services/${serviceId}/deployments`);
    await viewer.getByRole('heading', { name: 'Deployments', level: 2 }).waitFor();
    for (const name of ['Deploy', 'Redeploy', 'Restart', 'Stop']) {
      expect(await viewer.getByRole('button', { name, exact: true }).count()).toBe(0);
    }
    await viewer.getByRole('tab', { name: 'Overview' }).click();
    await viewer.getByText('hidden: your role cannot read secrets').waitFor();
    await viewer.getByText('API_KEY').waitFor();
    expect(await viewer.getByRole('button', { name: 'Save', exact: true }).count()).toBe(0);
    expect(await viewer.getByRole('button', { name: 'Show values' }).count()).toBe(0);
    expect(await viewer.getByRole('form', { name: 'Add a domain' }).count()).toBe(0);
    await capture(viewer, 'service-overview-viewer', { fullPage: true });

    expect(await viewer.content()).not.toContain(SECRET);
    expect(answers.length).toBeGreaterThan(3);
    for (const answer of answers) expect(answer).not.toContain(SECRET);
    const snapshot = await streamedSnapshot(cp, viewer, serviceId);
    expect(snapshot).toContain('API_KEY');
    expect(snapshot).not.toContain(SECRET);
    // The owner's own view holds the value: the check above can fail.
    expect(JSON.stringify((await api(cp, 'GET', `/api/v1/services/${serviceId}`)).body)).toContain(
      SECRET,
    );
  });

  it('lets a deployer deploy, still without the env values', async () => {
    const invite = await api<{ token: string }>(cp, 'POST', '/api/v1/invites', {
      projects: { [projectId]: 'deployer' },
    });
    const accepted = await fetch(`${cp.url}/invites/accept`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ token: invite.body.token, name: 'dora', password: PASSWORD }),
    });
    expect(accepted.status).toBe(201);

    const deployer = await (await browser.newContext()).newPage();
    deployer.setDefaultTimeout(15_000);
    const answers = recordAnswers(deployer);
    await deployer.goto(cp.url);
    await submitPassword(deployer, 'dora', PASSWORD);
    await deployer.getByText('dora · member').waitFor();
    await deployer.goto(`${cp.url}/#/services/${serviceId}/deployments`);
    await deployer.getByRole('button', { name: 'Deploy', exact: true }).waitFor();
    await deployer.getByRole('button', { name: 'Restart' }).waitFor();
    await deployer.getByRole('tab', { name: 'Overview' }).click();
    await deployer.getByText('hidden: your role cannot read secrets').waitFor();
    expect(await deployer.getByRole('button', { name: 'Save', exact: true }).count()).toBe(0);
    expect(await deployer.content()).not.toContain(SECRET);
    for (const answer of answers) expect(answer).not.toContain(SECRET);
    expect(await streamedSnapshot(cp, deployer, serviceId)).not.toContain(SECRET);
  });

  it('lists both members on the Users page with their roles', async () => {
    await owner.reload();
    const vera = owner.locator('tr[data-user-name="vera"]');
    await vera.waitFor();
    expect(await vera.innerText()).toContain('shop: Viewer');
    expect(await owner.locator('tr[data-user-name="dora"]').innerText()).toContain(
      'shop: Deployer',
    );

    await vera.getByRole('button', { name: 'Edit roles' }).click();
    const dialog = owner.getByRole('dialog');
    await dialog.getByLabel('Role').selectOption('admin');
    await dialog.getByRole('button', { name: 'Save' }).click();
    await expect.poll(() => vera.innerText()).toContain('shop: Admin');
    await vera.getByRole('button', { name: 'Disable' }).click();
    await expect.poll(() => vera.innerText()).toContain('disabled');
    await capture(owner, 'users-page');
  });
});
