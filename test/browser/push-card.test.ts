import type { WebhookInfo } from '@berth/protocol';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { api } from '../support/api.js';
import { appFiles, uniqueId } from '../support/app-fixture.js';
import {
  createService,
  getService,
  startStage,
  stopStage,
  type Service,
  type Stage,
} from '../support/deploy-helpers.js';
import { dockerOrSkip } from '../support/docker.js';
import { GitServer } from '../support/git-server.js';
import { postWebhook, pushPayload, signedHeaders } from '../support/push-webhooks.js';
import { waitFor } from '../support/wait.js';
import { chromiumOrSkip, launchChromium, signIn } from './browser.js';

const hasDocker = dockerOrSkip();
const hasChromium = chromiumOrSkip();

describe.skipIf(!hasDocker || !hasChromium)('deploy on push in the dashboard', () => {
  const run = uniqueId();
  let stage: Stage;
  let gitServer: GitServer;
  let browser: Browser;
  let page: Page;
  let service: Service;
  const pageErrors: string[] = [];

  beforeAll(async () => {
    [gitServer, browser] = await Promise.all([GitServer.start(), launchChromium()]);
    stage = await startStage('push-card');
    const repo = await gitServer.createRepo(`push-card-${run}`);
    await repo.commit(appFiles({ version: 'v1' }), 'v1');
    service = await createService(stage, {
      name: 'web',
      source: { type: 'git', repository: repo.url, ref: 'main' },
    });
    page = await (await browser.newContext()).newPage();
    page.setDefaultTimeout(15_000);
    page.on('pageerror', (err) => pageErrors.push(err.message));
  });
  afterAll(async () => {
    await browser?.close();
    await stopStage(stage);
    await gitServer?.stop();
  });

  it('turns deploy on push on, reveals the secret, and lists why a push did not deploy', async () => {
    await signIn(page, stage.cp.url, stage.cp.token);
    await page.goto(`${stage.cp.url}/#/services/${service.id}/overview`);
    const card = page.getByRole('region', { name: 'Deploy on push' });
    const toggle = card.getByRole('switch');
    expect(await toggle.isChecked()).toBe(false);
    await toggle.check();
    await waitFor('deployOnPush to be saved', async () => {
      return (await getService(stage, service.id)).deployOnPush === true;
    });

    const webhook = (
      await api<WebhookInfo>(stage.cp, 'GET', `/api/v1/services/${service.id}/webhook`)
    ).body;
    await card.getByText(webhook.url).waitFor();
    const secret = card.locator('[data-field="webhook-secret"]');
    expect(await secret.textContent()).not.toContain(webhook.secret);
    await card.getByRole('button', { name: 'Reveal secret' }).click();
    await waitFor('the revealed secret', async () =>
      (await secret.textContent()) === webhook.secret ? true : null,
    );

    const body = JSON.stringify(
      pushPayload({ ref: 'refs/heads/feature', after: 'f'.repeat(40), repositoryUrl: 'x' }),
    );
    const answer = await postWebhook(
      stage.cp,
      service.id,
      body,
      signedHeaders('github', webhook.secret, body),
    );
    expect(answer.status).toBe(202);
    await card.getByRole('button', { name: 'Refresh' }).click();
    await card.getByText('the service follows the branch main').waitFor();
    expect(pageErrors).toEqual([]);
  });
});
