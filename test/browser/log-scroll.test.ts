import { build } from 'esbuild';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dashboardAssets } from '../../control-plane/src/dashboard/assets.js';
import { REPO_ROOT } from '../support/processes.js';
import { chromiumOrSkip, launchChromium } from './browser.js';

const hasChromium = chromiumOrSkip();

const LINES = 1_000_000;

/**
 * The dashboard's log view alone, over a million lines served by an in-page source (the
 * server side of paging is tested end to end in log-view.test.ts). Prints frame timings.
 */
const ENTRY = `
import { createLogView } from './control-plane/src/dashboard/client/log-view.ts';
const N = ${LINES};
const line = (seq) => ({
  seq,
  ts: '2026-12-02T00:00:00.000Z',
  stream: seq % 50 === 0 ? 'stderr' : 'build',
  text: seq % 7 === 0 ? '\\u001b[32mstep ' + seq + '\\u001b[0m done in ' + (seq % 97) + ' ms' : 'line ' + seq + ' of a long build',
});
const fetched = [];
const view = createLogView({
  label: 'Log',
  source: {
    fetch: async (after, limit) => {
      fetched.push(after);
      await new Promise((resolve) => setTimeout(resolve, 5));
      const out = [];
      for (let seq = after + 1; seq <= Math.min(N, after + limit); seq++) out.push(line(seq));
      return out;
    },
  },
});
document.body.append(view.element);
const tail = [];
for (let seq = N - 999; seq <= N; seq++) tail.push(line(seq));
view.push(tail);
Object.assign(window, { fetched });
`;

interface Frames {
  intervals: number[];
  /** Time the view's scroll handling took, with the layout it causes, in ms per scroll event. */
  work: number[];
  maxRows: number;
}

/** Moves the log by stepPx each animation frame and times the frames, in ms. */
function scrollFrames(page: Page, stepPx: number, frames: number): Promise<Frames> {
  return page.evaluate(
    ({ stepPx, frames }) =>
      new Promise<Frames>((resolve) => {
        const body = document.querySelector<HTMLElement>('[role=log]')!;
        const work: number[] = [];
        let started = 0;
        // Capture runs before the view's own listener, the second listener after it.
        const before = () => (started = performance.now());
        const after = () => {
          void body.querySelector<HTMLElement>('.log-rows')?.offsetWidth; // forces the layout
          work.push(performance.now() - started);
        };
        document.addEventListener('scroll', before, true);
        body.addEventListener('scroll', after);
        const intervals: number[] = [];
        let maxRows = 0;
        let last = 0;
        let left = frames;
        const step = (now: number) => {
          if (last) intervals.push(now - last);
          last = now;
          maxRows = Math.max(maxRows, body.querySelectorAll('.log-line').length);
          body.scrollTop += stepPx;
          if (--left > 0) requestAnimationFrame(step);
          else {
            document.removeEventListener('scroll', before, true);
            body.removeEventListener('scroll', after);
            resolve({ intervals, work, maxRows });
          }
        };
        requestAnimationFrame(step);
      }),
    { stepPx, frames },
  );
}

function quantile(values: number[], q: number): string {
  const sorted = [...values].sort((a, b) => a - b);
  return (sorted[Math.floor(q * (sorted.length - 1))] ?? 0).toFixed(1);
}

function describeFrames(name: string, { intervals, work, maxRows }: Frames): string {
  const at = (q: number) => quantile(intervals, q);
  // More than a 60 Hz frame and a half counts as a dropped frame.
  const dropped = intervals.filter((ms) => ms > 25).length;
  return `${name}: ${intervals.length} frames, ms p50 ${at(0.5)} p95 ${at(0.95)} max ${at(1)}, ${dropped} over 25 ms, ≤ ${maxRows} rows; the view's work per scroll ms p50 ${quantile(work, 0.5)} p95 ${quantile(work, 0.95)} max ${quantile(work, 1)}`;
}

describe.skipIf(!hasChromium)('the log view over a million lines', () => {
  let browser: Browser;
  let page: Page;

  beforeAll(async () => {
    const bundle = await build({
      stdin: { contents: ENTRY, resolveDir: REPO_ROOT, loader: 'js' },
      bundle: true,
      write: false,
      format: 'iife',
    });
    browser = await launchChromium();
    page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    const { styles } = await dashboardAssets();
    await page.setContent(`<!doctype html><style>${styles}</style><body></body>`);
    // Test helpers compiled for Node name their functions with __name.
    await page.evaluate('window.__name = (f) => f');
    await page.addScriptTag({ content: bundle.outputFiles[0]!.text });
  });
  afterAll(async () => {
    await browser?.close();
  });

  it('shows the last line, reaches line 1, keeps the DOM bounded, and prints frame timings', async () => {
    const log = page.getByRole('log');
    await log.locator(`.log-line[data-seq="${LINES}"]`).waitFor();
    const report: string[] = [describeFrames('idle', await scrollFrames(page, 0, 120))];
    await log.evaluate((el) => (el.scrollTop = 0));
    await log.locator('.log-line[data-seq="1"]:not(.log-pending)').waitFor();
    expect(await page.locator('.log-view').getAttribute('data-following')).toBe('false');
    const runs: [string, number][] = [
      ['down 100 px/frame from the top', 100],
      ['up 100 px/frame', -100],
      ['down 2000 px/frame (≈250 lines)', 2000],
    ];
    let maxRows = 0;
    for (const [name, step] of runs) {
      const frames = await scrollFrames(page, step, 240);
      maxRows = Math.max(maxRows, frames.maxRows);
      report.push(describeFrames(name, frames));
    }
    console.log(`log view, ${LINES} lines in Chromium:\n  ${report.join('\n  ')}`);
    expect(maxRows).toBeLessThan(150);
    await log.evaluate((el) => (el.scrollTop = el.scrollHeight / 2));
    // The view renders on its scroll event, a frame later: wait for rows from the middle.
    const middleRow = () =>
      log.evaluate((el) => Number(el.querySelectorAll('.log-line')[50]?.getAttribute('data-seq')));
    await expect
      .poll(async () => Math.abs((await middleRow()) - LINES / 2), { timeout: 10_000 })
      .toBeLessThan(1000);
    await expect.poll(() => log.locator('.log-pending').count()).toBe(0);
    // Only the pages shown were fetched, never the whole log.
    expect(
      await page.evaluate(() => (window as unknown as { fetched: number[] }).fetched.length),
    ).toBeLessThan(100);
  });
});
