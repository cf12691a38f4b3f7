import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BASE_IMAGE, uniqueId } from '../support/app-fixture.js';
import {
  deploy,
  getDeployment,
  isFinal,
  waitForFinished,
  type Stage,
} from '../support/deploy-helpers.js';
import {
  expectContiguous,
  formatLog,
  printedText,
  readLog,
  type LogLine,
} from '../support/deploy-logs.js';
import { dockerOrSkip } from '../support/docker.js';
import { startCuttableStage, type GitAppStage } from '../support/git-app-stage.js';
import { restartAgent, waitForAgentConnected } from '../support/processes.js';
import type { TcpProxy } from '../support/tcp-proxy.js';
import { sleep, waitFor } from '../support/wait.js';

const hasDocker = dockerOrSkip();

const CUT_MS = 30_000;

/**
 * A build that prints `rounds` × `perRound` numbered lines, a burst every second, so
 * it goes on printing through an outage: `seq` prints 1, 2, 3… each on its own line.
 */
function burstFiles(run: string, rounds: number, perRound: number): Record<string, string> {
  return {
    Dockerfile: [
      `FROM ${BASE_IMAGE}`,
      `RUN echo "bursts ${run}"; i=0; while [ $i -lt ${rounds} ]; do ` +
        `seq $((i*${perRound}+1)) $((i*${perRound}+${perRound})); i=$((i+1)); sleep 1; done`,
      'CMD ["sleep", "3600"]',
      '',
    ].join('\n'),
  };
}

/** The numbers the build printed, in the order they are stored. */
function numbersOf(lines: LogLine[]): number[] {
  return lines
    .filter((l) => l.stream === 'build' && /^\d+$/.test(printedText(l)))
    .map((l) => Number(printedText(l)));
}

/** Waits until the stored log holds more than `seq` lines. */
async function waitForLines(stage: Stage, deploymentId: string, seq: number): Promise<void> {
  await waitFor(
    `more than ${seq} log lines`,
    async () => (await readLog(stage, deploymentId, seq)).length > 0,
    { timeoutMs: 60_000, intervalMs: 250 },
  );
}

describe.skipIf(!hasDocker)('log lines through outages', () => {
  const run = uniqueId();
  let app: GitAppStage | undefined;
  let proxy: TcpProxy | undefined;

  beforeAll(async () => {
    // 45 bursts of 4,000 lines, one a second: 180,000 lines over a 45 s build.
    ({ app, proxy } = await startCuttableStage('outages', burstFiles(run, 45, 4_000)));
  });
  afterAll(async () => {
    await app?.stop();
    await proxy?.close();
  });

  it('a 30 s network cut during a long, busy build: every line is stored once, in order', async () => {
    const { stage, service } = app!;
    const queued = await deploy(stage, service.id, 'none');
    const id = queued.deployment.id;
    await waitForLines(stage, id, 8_000);

    proxy!.cut();
    const cutAt = Date.now();
    await sleep(CUT_MS);
    proxy!.restore();
    const restoredAt = Date.now();
    await waitForAgentConnected(stage.agent, 30_000);

    const { deployment } = await waitForFinished(stage, queued, 120_000);
    const log = await readLog(stage, id);
    expect(deployment.status, `${deployment.error ?? ''}\n${formatLog(log.slice(-20))}`).toBe(
      'succeeded',
    );
    expectContiguous(log);
    const numbers = numbersOf(log);
    const total = 45 * 4_000;
    expect(numbers.length).toBe(total);
    const misplaced = numbers.flatMap((n, i) => (n === i + 1 ? [] : [`#${i + 1}: ${n}`]));
    expect(misplaced.slice(0, 10)).toEqual([]);
    // The build went on printing while the link was down: those lines waited in the spool.
    const printedDuringCut = log.filter((l) => {
      const at = Date.parse(l.ts);
      return l.stream === 'build' && at > cutAt + 1_000 && at < restoredAt - 1_000;
    });
    expect(printedDuringCut.length).toBeGreaterThan(40_000);
  }, 240_000);

  it('a SIGKILL of the agent mid-build: what it had read arrives once and in order, then the failure', async () => {
    const { stage, service, repo } = app!;
    await repo.commit(burstFiles(`${run}-kill`, 30, 4_000), 'bursts to kill');
    const queued = await deploy(stage, service.id, 'none');
    const id = queued.deployment.id;
    await waitForLines(stage, id, 12_000);

    stage.agent.process.kill('SIGKILL');
    await stage.agent.process.exited;
    stage.agent = await restartAgent(stage.agent);
    await waitForAgentConnected(stage.agent);
    await waitFor(
      'the killed deployment to end',
      async () => isFinal((await getDeployment(stage, id)).status),
      { timeoutMs: 60_000, intervalMs: 250 },
    );

    const deployment = await getDeployment(stage, id);
    expect(deployment.status).toBe('failed');
    expect(deployment.error).toMatch(/agent restarted/i);
    const log = await readLog(stage, id);
    expectContiguous(log);
    // Every number the agent had taken in before the kill, from 1 on, each once and in order.
    const numbers = numbersOf(log);
    expect(numbers.length).toBeGreaterThan(8_000);
    const misplaced = numbers.flatMap((n, i) => (n === i + 1 ? [] : [`#${i + 1}: ${n}`]));
    expect(misplaced.slice(0, 10)).toEqual([]);
    const note = log.findIndex((l) => l.stream === 'system' && /agent restarted/i.test(l.text));
    expect(note, formatLog(log.slice(-10))).toBeGreaterThan(-1);
    expect(numbersOf(log.slice(note))).toEqual([]); // the note comes after every line read
  }, 180_000);
});
