import { readFile } from 'node:fs/promises';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BASE_IMAGE, uniqueId } from '../support/app-fixture.js';
import {
  QUICK_CHECK,
  createService,
  deploy,
  startStage,
  stopStage,
  waitForFinished,
  type Stage,
} from '../support/deploy-helpers.js';
import { readLog } from '../support/deploy-logs.js';
import { dockerOrSkip } from '../support/docker.js';
import { GitServer } from '../support/git-server.js';
import { capture, chromiumOrSkip, deploymentRow, launchChromium, signIn } from './browser.js';

const hasDocker = dockerOrSkip();
const hasChromium = chromiumOrSkip();

/** Lines the build prints with `seq`; a real process makes the log, not a written file. */
const LINES = Number(process.env.BERTH_TEST_LOG_LINES ?? 50_000);
/** The agent sends a long build's lines at its own pace, in ms. */
const BUILD_MS = 300_000;

const ESC = '\\033';

/** A build that prints coloured lines and then LINES numbers. */
function files(): Record<string, string> {
  const colours = `printf '${ESC}[31mred-line${ESC}[0m plain ${ESC}[1;92mbold-green${ESC}[0m ${ESC}[2Kcleared\\n'`;
  return {
    Dockerfile: [
      `FROM ${BASE_IMAGE}`,
      `RUN ${colours} && seq 1 ${LINES}`,
      'CMD ["sh", "-c", "exec sleep 3600"]',
      '',
    ].join('\n'),
  };
}

/** Scrolls the log by a fixed step each frame and times the frames, in ms. */
async function scrollFrames(page: Page, stepPx: number, frames: number) {
  return page.getByRole('log').evaluate(
    (body, { stepPx, frames }) =>
      new Promise<{ intervals: number[]; maxRows: number }>((resolve) => {
        const intervals: number[] = [];
        let maxRows = 0;
        let last = performance.now();
        let left = frames;
        const step = (now: number) => {
          intervals.push(now - last);
          last = now;
          maxRows = Math.max(maxRows, body.querySelectorAll('.log-line').length);
          body.scrollTop += stepPx;
          if (--left > 0) requestAnimationFrame(step);
          else resolve({ intervals: intervals.slice(1), maxRows });
        };
        requestAnimationFrame((now) => {
          last = now;
          requestAnimationFrame(step);
        });
      }),
    { stepPx, frames },
  );
}

describe.skipIf(!hasDocker || !hasChromium)('View Logs of a long build in a real browser', () => {
  const run = uniqueId();
  let stage: Stage;
  let gitServer: GitServer;
  let browser: Browser;
  let page: Page;
  let serviceId: string;
  let deploymentId: string;
  let lastSeq: number;

  beforeAll(async () => {
    [gitServer, browser] = await Promise.all([GitServer.start(), launchChromium()]);
    stage = await startStage('log-view');
    const repo = await gitServer.createRepo(`long-log-${run}`);
    await repo.commit(files(), 'long log');
    const service = await createService(stage, {
      name: 'long-log',
      source: { type: 'git', repository: repo.url, ref: 'main' },
      healthcheck: QUICK_CHECK,
    });
    serviceId = service.id;
    const queued = await deploy(stage, serviceId, 'none');
    deploymentId = queued.deployment.id;
    const finished = await waitForFinished(stage, queued, BUILD_MS);
    expect(finished.deployment.status).toBe('succeeded');
    const tail = await readLog(stage, deploymentId, 0);
    lastSeq = tail.at(-1)!.seq;
    expect(lastSeq).toBeGreaterThan(LINES);
    const context = await browser.newContext({
      viewport: { width: 1280, height: 900 },
      acceptDownloads: true,
    });
    page = await context.newPage();
    page.setDefaultTimeout(20_000);
  }, BUILD_MS + 60_000);
  afterAll(async () => {
    await browser?.close();
    await stopStage(stage);
    await gitServer?.stop();
  });

  it('opens at the last line, following, with a bounded number of rows', async () => {
    await signIn(page, stage.cp.url, stage.cp.token);
    await page.goto(`${stage.cp.url}/#/services/${encodeURIComponent(serviceId)}/deployments`);
    await deploymentRow(page, 1).getByRole('button', { name: 'View Logs' }).click();
    const log = page.getByRole('log', { name: 'Log of deployment #1' });
    await page.getByText('Finished: succeeded').waitFor();
    const last = log.locator(`.log-line[data-seq="${lastSeq}"]:not(.log-pending)`);
    await last.waitFor();
    expect(await page.locator('.log-view').getAttribute('data-following')).toBe('true');
    const [box, lastBox] = await Promise.all([log.boundingBox(), last.boundingBox()]);
    expect(lastBox!.y + lastBox!.height).toBeLessThanOrEqual(box!.y + box!.height + 1);
    expect(lastBox!.y).toBeGreaterThanOrEqual(box!.y);
    const rows = await log.locator('.log-line').count();
    expect(rows).toBeGreaterThan(10);
    expect(rows).toBeLessThan(150);
    await capture(page, 'log-view-long-log-tail');
  });

  it('shows line 1 and the ANSI colours when scrolled to the top, and stops following', async () => {
    const log = page.getByRole('log', { name: 'Log of deployment #1' });
    await log.evaluate((el) => (el.scrollTop = 0));
    await log.locator('.log-line[data-seq="1"]:not(.log-pending)').waitFor();
    expect(await page.locator('.log-view').getAttribute('data-following')).toBe('false');
    await page.getByRole('button', { name: 'Jump to latest' }).waitFor();
    const red = log.locator('.ansi-fg-1', { hasText: 'red-line' });
    await red.waitFor();
    const line = red.locator('xpath=ancestor::div[contains(@class,"log-line")]');
    expect(await line.locator('.log-text').innerText()).toBe('red-line plain bold-green cleared');
    const green = line.locator('.ansi-fg-10.ansi-bold');
    expect(await green.innerText()).toBe('bold-green');
    const [redColour, plainColour, weight] = await Promise.all([
      red.evaluate((el) => getComputedStyle(el).color),
      line.locator('.log-text').evaluate((el) => getComputedStyle(el).color),
      green.evaluate((el) => getComputedStyle(el).fontWeight),
    ]);
    expect(redColour).not.toBe(plainColour);
    expect(Number(weight)).toBeGreaterThanOrEqual(700);
    await capture(page, 'log-view-long-log-top');
  });

  it('loads the middle of the log on demand and scrolls smoothly', async () => {
    const log = page.getByRole('log', { name: 'Log of deployment #1' });
    await log.evaluate((el) => (el.scrollTop = el.scrollHeight / 2));
    await expect.poll(() => log.locator('.log-pending').count(), { timeout: 20_000 }).toBe(0);
    const middle = Number(await log.locator('.log-line').nth(50).getAttribute('data-seq'));
    expect(middle).toBeGreaterThan(lastSeq * 0.3);
    expect(middle).toBeLessThan(lastSeq * 0.7);

    const idle = await scrollFrames(page, 0, 120);
    await log.evaluate((el) => (el.scrollTop = 0));
    const { intervals, maxRows } = await scrollFrames(page, 400, 240);
    const sorted = [...intervals].sort((a, b) => a - b);
    const p = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
    // Over a 60 Hz frame budget and a half counts as a dropped frame.
    const dropped = intervals.filter((ms) => ms > 25).length;
    console.log(
      `log scroll: ${intervals.length} frames over ${lastSeq} lines, ` +
        `frame ms p50 ${p(0.5).toFixed(1)} p95 ${p(0.95).toFixed(1)} max ${sorted.at(-1)!.toFixed(1)}, ` +
        `${dropped} over 25 ms, at most ${maxRows} rows in the DOM ` +
        `(idle: ${idle.intervals.filter((ms) => ms > 25).length} of ${idle.intervals.length} frames over 25 ms)`,
    );
    expect(maxRows).toBeLessThan(150);
  });

  it('Download gives the whole log as text', async () => {
    const [download] = await Promise.all([
      page.waitForEvent('download'),
      page.getByRole('link', { name: 'Download' }).click(),
    ]);
    expect(download.suggestedFilename()).toBe('deployment-1.log');
    const text = await readFile((await download.path())!, 'utf8');
    const lines = text.split('\n');
    expect(lines.pop()).toBe('');
    const stored = await readLog(stage, deploymentId);
    expect(lines.length).toBe(stored.length);
    expect(stored.length).toBe(lastSeq);
    expect(lines).toEqual(stored.map((l) => l.text));
  });
});
