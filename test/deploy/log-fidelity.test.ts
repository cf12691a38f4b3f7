import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAX_LOG_LINE_BYTES } from '@berth/protocol';
import { BASE_IMAGE, uniqueId } from '../support/app-fixture.js';
import {
  QUICK_CHECK,
  createService,
  deploy,
  expectDeploymentStatus,
  startStage,
  stopStage,
  waitForFinished,
  type Stage,
} from '../support/deploy-helpers.js';
import {
  LogFollower,
  expectContiguous,
  formatLog,
  readLog,
  type LogLine,
} from '../support/deploy-logs.js';
import { dockerOrSkip } from '../support/docker.js';
import { GitServer } from '../support/git-server.js';

const hasDocker = dockerOrSkip();

const SEQ_LINES = 20_000;
const LONG_20K = `FIDLONG20K-${'a'.repeat(20_000)}-END`;
const LONG_64K = `FIDLONG64K-${'b'.repeat(65_536)}-END`;

/**
 * A build step that prints lines crossing every chunk boundary the engine and the
 * agent may cut at: long lines, ANSI colours, redrawn progress, invalid UTF-8, stderr,
 * many short lines, and a last line without a newline. printf's octal escapes give
 * the raw bytes (busybox sh).
 */
function printScript(run: string): string {
  return [
    '#!/bin/sh',
    'set -e',
    `echo 'FID run ${run}'`,
    "printf '\\033[1;31mFID red\\033[0m and \\033[32mgreen\\033[0m\\n'",
    "printf 'FID progress 0%%\\r'; sleep 0.3; printf 'FID progress 50%%\\r'; sleep 0.3; printf 'FID progress 100%%\\n'",
    "printf 'FID bad \\377\\376 bytes \\303\\251t\\303\\251 \\360\\237\\232\\200 ok\\n'",
    "printf 'FID crlf\\r\\n'",
    "echo 'FID to stderr' >&2",
    "printf 'FIDLONG20K-'; head -c 20000 /dev/zero | tr '\\000' a; printf -- '-END\\n'",
    "printf 'FIDLONG64K-'; head -c 65536 /dev/zero | tr '\\000' b; printf -- '-END\\n'",
    "echo 'FID seq start'",
    `seq 1 ${SEQ_LINES}`,
    "echo 'FID seq end'",
    "printf 'FID script tail without newline'",
    '',
  ].join('\n');
}

function fidelityFiles(run: string): Record<string, string> {
  return {
    'print.sh': printScript(run),
    Dockerfile: [
      `FROM ${BASE_IMAGE}`,
      'COPY print.sh /print.sh',
      'RUN sh /print.sh',
      "RUN printf 'FID no newline at the end'",
      "RUN printf 'FID lone cr\\r'",
      'CMD ["sleep", "3600"]',
      '',
    ].join('\n'),
  };
}

/** The build output as printed: continuation parts joined back to the line they continue. */
function printedLines(lines: LogLine[]): string[] {
  const out: string[] = [];
  for (const line of lines.filter((l) => l.stream === 'build')) {
    if (line.continued) {
      expect(out.length, `seq ${line.seq} continues nothing`).toBeGreaterThan(0);
      out[out.length - 1] += line.text;
    } else out.push(line.text);
  }
  return out;
}

describe.skipIf(!hasDocker)('log fidelity', () => {
  const run = uniqueId();
  let stage: Stage;
  let gitServer: GitServer;
  let lines: LogLine[] = [];

  beforeAll(async () => {
    gitServer = await GitServer.start();
    stage = await startStage('fidelity');
  });
  afterAll(async () => {
    await stopStage(stage);
    await gitServer?.stop();
  });

  it('a build printing awkward output arrives whole, once and in order, live and stored', async () => {
    const repo = await gitServer.createRepo('fidelity');
    await repo.commit(fidelityFiles(run), 'fidelity');
    const service = await createService(stage, {
      name: 'fidelity',
      source: { type: 'git', repository: repo.url, ref: 'main' },
      healthcheck: QUICK_CHECK,
    });
    const queued = await deploy(stage, service.id, 'none');
    const follower = new LogFollower(stage, queued.deployment.id);
    const { deployment } = await waitForFinished(stage, queued);
    await expectDeploymentStatus(stage, deployment, 'succeeded');
    expect(await follower.end).toMatchObject({ status: 'succeeded' });

    lines = await readLog(stage, deployment.id);
    expectContiguous(lines);
    expect(follower.lines).toEqual(lines);
  });

  it('each printed line is one line; long ones come in marked parts that rejoin', () => {
    expect(lines.length, 'the first test stored no log').toBeGreaterThan(SEQ_LINES);
    const printed = printedLines(lines);
    const log = () => formatLog(lines.filter((l) => l.text.length < 200).slice(0, 200));
    const once = (text: string) =>
      expect(
        printed.filter((p) => p === text),
        `"${text.slice(0, 60)}" once\n${log()}`,
      ).toHaveLength(1);

    once(`FID run ${run}`);
    once('\u001b[1;31mFID red\u001b[0m and \u001b[32mgreen\u001b[0m');
    once('FID progress 100%');
    once('FID bad \uFFFD\uFFFD bytes été 🚀 ok');
    once('FID crlf');
    // the engine colours a step's stderr red; the reset stays on the line
    once('\u001b[91mFID to stderr\u001b[0m');
    once(LONG_20K);
    once(LONG_64K);
    once('FID script tail without newline');
    once('FID no newline at the end');
    once('FID lone cr');
    // redrawn states are not kept, and nothing printed is torn or glued to another line
    const expected = new Set([
      `FID run ${run}`,
      '\u001b[1;31mFID red\u001b[0m and \u001b[32mgreen\u001b[0m',
      'FID progress 100%',
      'FID bad \uFFFD\uFFFD bytes été 🚀 ok',
      'FID crlf',
      '\u001b[91mFID to stderr\u001b[0m',
      LONG_20K,
      LONG_64K,
      'FID seq start',
      'FID seq end',
      'FID script tail without newline',
      'FID no newline at the end',
      'FID lone cr',
    ]);
    const printedByScript = printed.filter((p) => p.includes('FID') && !p.startsWith('Step '));
    for (const p of printedByScript) expect(expected.has(p), p.slice(0, 80)).toBe(true);

    // every part fits the limit, and the long lines really were split
    for (const line of lines)
      expect(Buffer.byteLength(line.text), `seq ${line.seq}`).toBeLessThanOrEqual(
        MAX_LOG_LINE_BYTES,
      );
    const parts64 = lines.findIndex((l) => l.text.startsWith('FIDLONG64K-'));
    expect(lines.slice(parts64 + 1, parts64 + 5).map((l) => l.continued)).toEqual([
      true,
      true,
      true,
      true,
    ]);
    expect(lines[parts64 + 5]?.continued).toBeUndefined();
  });

  it('many short lines arrive each whole, once, in order', () => {
    const printed = printedLines(lines);
    const start = printed.indexOf('FID seq start');
    const end = printed.indexOf('FID seq end');
    expect(start).toBeGreaterThan(-1);
    const numbers = printed.slice(start + 1, end);
    expect(numbers).toHaveLength(SEQ_LINES);
    const torn = numbers.filter((n, i) => n !== String(i + 1));
    expect(torn.slice(0, 10)).toEqual([]);
  });
});
