import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { JobSpec, LogStream } from '@berth/protocol';
import type { JobContext } from '../jobs/job-context.js';
import type { FakeEngine } from './fake-engine.js';

let clockStart = 1_000_000;

/** A job context on the fake engine with a test clock: `sleep` moves `now` on at once. */
export function fakeJobContext(engine: FakeEngine, spec: JobSpec) {
  const lines: { stream: LogStream; text: string }[] = [];
  const slept: number[] = [];
  // Each context's clock starts later than the last one's, as jobs run one after another.
  clockStart += 60_000;
  const clock = { now: clockStart };
  const stopped: string[][] = [];
  const ctx: JobContext = {
    spec,
    engine,
    signal: new AbortController().signal,
    workDir: mkdtempSync(join(tmpdir(), 'berth-jobs-')),
    log: (stream, text) => lines.push({ stream, text }),
    logRoom: () => null,
    phase: () => undefined,
    setPhase: () => undefined,
    recordStopped: (ids) => {
      stopped.push(ids);
      return Promise.resolve();
    },
    report: () => undefined,
    now: () => clock.now,
    sleep: (ms) => {
      slept.push(ms);
      clock.now += ms;
      return Promise.resolve();
    },
  };
  return { ctx, lines, slept, clock, stopped };
}
