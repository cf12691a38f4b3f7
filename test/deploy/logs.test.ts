import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  APP_PORT,
  appFiles,
  dockerfile,
  markerOutput,
  uniqueId,
  type AppOptions,
} from '../support/app-fixture.js';
import { expectServes } from '../support/app-http.js';
import {
  QUICK_CHECK,
  createService,
  deploy,
  expectDeploymentStatus,
  getDeployment,
  isFinal,
  ms,
  startStage,
  stopStage,
  waitForFinished,
  type Deployment,
  type Stage,
} from '../support/deploy-helpers.js';
import {
  LogFollower,
  expectContiguous,
  formatLog,
  hasLine,
  printedText,
  readLog,
  type LogLine,
} from '../support/deploy-logs.js';
import { dockerOrSkip } from '../support/docker.js';
import { GitServer } from '../support/git-server.js';
import { freePort } from '../support/ports.js';
import { waitFor } from '../support/wait.js';

const hasDocker = dockerOrSkip();

const STREAMS = new Set<LogLine['stream']>(['system', 'build', 'stdout', 'stderr']);

describe.skipIf(!hasDocker)('deployment logs', () => {
  const run = uniqueId();
  const marker = `logs-${run}`;
  // the marker is echoed before a 4 s step, so the build is still running when it arrives
  const app: AppOptions = { version: `logs-${run}`, marker, buildSleepSeconds: 4 };
  let stage: Stage;
  let gitServer: GitServer;
  let port: number;
  let finished: Deployment | undefined;
  let followed: LogLine[];

  /** The deployment the first test made; later tests read its log. */
  function deploymentOfFirstTest(): Deployment {
    if (!finished) throw new Error('the first test did not finish a deployment to read');
    return finished;
  }

  beforeAll(async () => {
    gitServer = await GitServer.start();
    stage = await startStage('logs');
    port = await freePort();
  });
  afterAll(async () => {
    await stopStage(stage);
    await gitServer?.stop();
  });

  it('follow=1 delivers lines while the build runs and ends with event: end and the status', async () => {
    const repo = await gitServer.createRepo('app');
    await repo.commit(appFiles(app), 'logs');
    const service = await createService(stage, {
      name: 'web',
      source: { type: 'git', repository: repo.url, ref: 'main' },
      ports: [{ container: APP_PORT, host: port }],
      healthcheck: QUICK_CHECK,
    });
    const queued = await deploy(stage, service.id);
    const follower = new LogFollower(stage, queued.deployment.id);

    await waitFor(
      'the RUN output over the event stream',
      () => hasLine(follower.lines, 'build', markerOutput(marker)),
      { timeoutMs: 60_000 },
    );
    const whileStreaming = await getDeployment(stage, queued.deployment.id);
    expect(isFinal(whileStreaming.status), whileStreaming.status).toBe(false);
    expect(follower.status).toBe(200);
    expect(follower.contentType).toMatch(/^text\/event-stream/);

    expect(await follower.end).toMatchObject({ status: 'succeeded' });
    expect(await follower.closedWithin(5_000)).toBe(true);
    const { deployment } = await waitForFinished(stage, queued);
    finished = deployment;
    await expectDeploymentStatus(stage, deployment, 'succeeded');
    await expectServes(port, app.version);

    expect(follower.events.filter((e) => e.event === 'end')).toHaveLength(1);
    expect(follower.events.at(-1)?.event).toBe('end');
    const markerEvent = follower.events.find(
      (e) =>
        e.event === 'line' && printedText(JSON.parse(e.data) as LogLine) === markerOutput(marker),
    );
    expect(markerEvent!.receivedAt).toBeLessThan(ms(deployment.finishedAt));
    followed = follower.lines;
    expect(followed).toEqual(await readLog(stage, deployment.id));
  });

  it('numbers every line 1..n without gaps, and its build lines are the build output', async () => {
    const deployment = deploymentOfFirstTest();
    const lines = await readLog(stage, deployment.id);
    expectContiguous(lines);
    for (const line of lines) {
      expect(STREAMS.has(line.stream), JSON.stringify(line)).toBe(true);
      expect(typeof line.text).toBe('string');
      expect(Number.isNaN(Date.parse(line.ts)), line.ts).toBe(false);
    }
    const log = formatLog(lines);
    expect(lines[0]?.stream, log).toBe('system');
    expect(
      lines.some((l) => l.stream === 'system' && /health/i.test(l.text)),
      log,
    ).toBe(true);

    // every step the Dockerfile runs shows up, in order, followed by what it printed
    const buildLines = lines.filter((l) => l.stream === 'build');
    const steps = dockerfile(app)
      .split('\n')
      .filter((l) => /^(RUN|COPY) /.test(l));
    let previousSeq = 0;
    for (const step of steps) {
      const line = buildLines.find((l) => l.seq > previousSeq && l.text.includes(step));
      expect(line, `${step} after seq ${previousSeq}\n${log}`).toBeDefined();
      previousSeq = line!.seq;
      if (step.startsWith('RUN echo')) {
        const output = buildLines.find(
          (l) => l.seq > previousSeq && printedText(l) === markerOutput(marker),
        );
        expect(output, log).toBeDefined();
      }
    }
    expect(lines.filter((l) => printedText(l) === markerOutput(marker))).toHaveLength(1);
  });

  it('after=N returns only the lines after N', async () => {
    const deployment = deploymentOfFirstTest();
    const lines = await readLog(stage, deployment.id);
    expect(lines.length).toBeGreaterThan(3);
    expect(await readLog(stage, deployment.id, 3)).toEqual(lines.slice(3));
    expect(await readLog(stage, deployment.id, 0)).toEqual(lines);
    expect(await readLog(stage, deployment.id, lines.at(-1)!.seq)).toEqual([]);
  });

  it('following a finished deployment replays its whole log and ends at once', async () => {
    const deployment = deploymentOfFirstTest();
    const follower = new LogFollower(stage, deployment.id);
    const closed = await follower.closedWithin(5_000);
    follower.close();
    expect(closed).toBe(true);
    expect(await follower.end).toMatchObject({ status: 'succeeded' });
    expect(follower.lines).toEqual(followed);
  });
});
