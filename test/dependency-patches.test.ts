// The agent's bundle patches a few dependency lines (scripts/dependency-patches.mjs). The patch
// to node-cron must not move a single scheduled run: it compares the next runs node-cron
// computes with and without it, in time zones with and without daylight saving time.
import { realpathSync } from 'node:fs';
import { join } from 'node:path';
import { build } from 'esbuild';
import { afterEach, describe, expect, it } from 'vitest';
import { dependencyPatches } from '../scripts/dependency-patches.mjs';
import { REPO_ROOT } from './support/processes.js';

interface TimeMatcher {
  getNextMatch(date: Date): Date;
}
type TimeMatcherClass = new (pattern: string, timezone?: string) => TimeMatcher;

const SHARED = join(
  realpathSync(join(REPO_ROOT, 'agent/node_modules/node-cron')),
  'dist/_shared.js',
);

/** A fresh copy each time: node-cron keeps its formatters, made in the TZ of their first use. */
async function loadTimeMatcher(patched: boolean): Promise<TimeMatcherClass> {
  const result = await build({
    stdin: {
      contents: `export { T as TimeMatcher } from ${JSON.stringify(SHARED)};`,
      resolveDir: REPO_ROOT,
    },
    bundle: true,
    format: 'esm',
    platform: 'node',
    write: false,
    logLevel: 'silent',
    plugins: patched ? [dependencyPatches] : [],
  });
  const code = result.outputFiles[0]!.text;
  if (patched !== code.includes('__berthLocalDateParts('))
    throw new Error('the patch was not applied');
  const module = (await import(
    `data:text/javascript,${encodeURIComponent(`${code}\n// ${process.env.TZ} ${Math.random()}`)}`
  )) as {
    TimeMatcher: TimeMatcherClass;
  };
  return module.TimeMatcher;
}

const ZONES = ['UTC', 'Europe/Berlin', 'America/New_York', 'Asia/Kolkata', 'Australia/Lord_Howe'];
const EXPRESSIONS = [
  '17 * * * *',
  '30 2 * * *',
  '0 3 * * 0',
  '0 0 1 * *',
  '*/20 * * * * *',
  '0 12 L * *',
];
const originalTz = process.env.TZ;

describe('the node-cron patch (local time without Intl)', () => {
  afterEach(() => {
    if (originalTz === undefined) delete process.env.TZ;
    else process.env.TZ = originalTz;
  });

  it('computes the same next runs as node-cron itself', async () => {
    let compared = 0;
    for (const zone of ZONES) {
      process.env.TZ = zone;
      const [Original, Patched] = await Promise.all([
        loadTimeMatcher(false),
        loadTimeMatcher(true),
      ]);
      for (const expression of EXPRESSIONS) {
        const original = new Original(expression);
        const patched = new Patched(expression);
        // Every 7 h 13 min through 2026: each hour of the day, and both DST changes of each zone.
        for (let at = Date.UTC(2026, 0, 1); at < Date.UTC(2027, 0, 1); at += 433 * 60_000) {
          const from = new Date(at);
          expect(
            patched.getNextMatch(from).getTime(),
            `${zone} "${expression}" from ${from.toISOString()}`,
          ).toBe(original.getNextMatch(from).getTime());
          compared += 1;
        }
      }
    }
    expect(compared).toBeGreaterThan(30_000);
  });

  it('still uses Intl when a time zone is given', async () => {
    const Patched = await loadTimeMatcher(true);
    process.env.TZ = 'UTC';
    const next = new Patched('0 9 * * *', 'Asia/Tokyo').getNextMatch(
      new Date('2026-06-01T01:00:00Z'),
    );
    expect(next.toISOString()).toBe('2026-06-02T00:00:00.000Z');
  });
});
