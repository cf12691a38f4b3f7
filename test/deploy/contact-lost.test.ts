import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { appFiles, tickerOutput, uniqueId } from '../support/app-fixture.js';
import { expectServes } from '../support/app-http.js';
import { containersOf, runningCommands, runningContainerOf } from '../support/berth-docker.js';
import {
  cancel,
  deploy,
  getDeployment,
  getJob,
  isFinal,
  ms,
  type Deployment,
  type Job,
} from '../support/deploy-helpers.js';
import { LogFollower, formatLog, hasLine, printedText, readLog } from '../support/deploy-logs.js';
import {
  DeploymentWatch,
  formatSamples,
  type ContactFields,
  type Sample,
} from '../support/deployment-watch.js';
import { dockerOrSkip } from '../support/docker.js';
import { startCuttableStage, type GitAppStage } from '../support/git-app-stage.js';
import { FAST_TIMING, agentStatus, waitForAgentConnected } from '../support/processes.js';
import type { TcpProxy } from '../support/tcp-proxy.js';
import { sleep, waitFor } from '../support/wait.js';

const hasDocker = dockerOrSkip();

const LIVENESS_MS = Number(FAST_TIMING.BERTH_LIVENESS_TIMEOUT_MS);
/** By when the control plane must show a lost contact after a cut: the liveness window plus slack. */
const NOTICE_MS = LIVENESS_MS + 4_000;

/** Waits until the build has printed its n-th ticker line (read from the stored log). */
async function waitForTick(
  stage: GitAppStage['stage'],
  deploymentId: string,
  marker: string,
  n: number,
): Promise<void> {
  await waitFor(
    `build line ${tickerOutput(marker, n)}`,
    async () => hasLine(await readLog(stage, deploymentId), 'build', tickerOutput(marker, n)),
    { timeoutMs: 60_000, intervalMs: 200 },
  );
}

/** Keeps the link cut while `during` runs; the link is restored even when it throws. */
async function withCut<T>(
  proxy: TcpProxy,
  watch: DeploymentWatch,
  during: () => Promise<T>,
): Promise<{ value: T; cutAt: number; restoredAt: number }> {
  watch.phase = 'cut';
  proxy.cut();
  const cutAt = Date.now();
  try {
    const value = await during();
    return { value, cutAt, restoredAt: Date.now() };
  } finally {
    proxy.restore();
    watch.phase = 'after';
  }
}

function describeSample(s: Sample, since: number): string {
  return `+${s.at - since} ms (${s.phase}): deployment ${s.deployment.status}, job ${s.job.status}`;
}

/** Lists what is wrong with a sample taken while contact must show as lost. */
function contactProblems(s: Sample, window: { from: number; to: number }): string[] {
  const problems: string[] = [];
  const check = (what: string, record: ContactFields & { status: string }) => {
    if (record.contact !== 'lost') problems.push(`${what}.contact is ${String(record.contact)}`);
    const at = record.contactLostAt ? Date.parse(record.contactLostAt) : NaN;
    if (Number.isNaN(at)) {
      problems.push(`${what}.contactLostAt is ${String(record.contactLostAt)}`);
    } else if (at < window.from || at > window.to) {
      problems.push(`${what}.contactLostAt ${record.contactLostAt} is outside the cut`);
    }
    if (isFinal(record.status as Deployment['status']))
      problems.push(`${what} is ${record.status}`);
  };
  check('deployment', s.deployment);
  check('job', s.job);
  return problems;
}

describe.skipIf(!hasDocker)('lost contact with the agent during a build', () => {
  const run = uniqueId();
  const marker = `tick-${run}`;
  // 90 lines, one every 0.5 s: a 45 s build that keeps logging through a 30 s cut
  const TICKS = 90;
  const CUT_MS = 30_000;
  let app: GitAppStage | undefined;
  let proxy: TcpProxy | undefined;

  beforeAll(async () => {
    ({ app, proxy } = await startCuttableStage(
      'contact',
      appFiles({ version: 'contact-v1', buildTicker: { marker, count: TICKS } }),
    ));
  });
  afterAll(async () => {
    await app?.stop();
    await proxy?.close();
  });

  it('a 30 s cut during a build: contact shows lost, nothing ends early, and the followed log arrives whole', async () => {
    const { stage, service, port } = app!;
    const link = proxy!;
    const queued = await deploy(stage, service.id);
    const id = queued.deployment.id;
    await waitFor(
      'the deployment to be building',
      async () => (await getDeployment(stage, id)).status === 'building',
      { timeoutMs: 60_000, intervalMs: 100 },
    );
    const follower = new LogFollower(stage, id);
    let streamClosedAt: number | undefined;
    void follower.closed.then(() => (streamClosedAt = Date.now()));
    const watch = new DeploymentWatch(stage, queued, 500);
    await waitForTick(stage, id, marker, 2);

    const { cutAt, restoredAt } = await withCut(link, watch, () => sleep(CUT_MS));
    await waitForAgentConnected(stage.agent, 30_000);
    const reconnectedAt = Date.now();

    // The build goes on printing: wait for its last line, then for the agent to report the end.
    await waitForTick(stage, id, marker, TICKS);
    await waitFor(
      'the agent to finish the job and the deployment to end',
      async () =>
        (await agentStatus(stage.agent)).runningJobs === 0 &&
        isFinal((await getDeployment(stage, id)).status),
      { timeoutMs: 60_000, intervalMs: 250 },
    );
    await follower.closedWithin(10_000);
    follower.close();
    await sleep(1_000);
    const samples = await watch.stop();
    const deployment: Deployment & ContactFields = await getDeployment(stage, id);
    const job: Job & ContactFields = await getJob(stage, queued.job.id);
    const log = await readLog(stage, id);
    const table = `cut at +${cutAt - samples[0]!.at} ms, restored at +${restoredAt - samples[0]!.at} ms\n${formatSamples(samples, samples[0]!.at)}`;

    // It ends succeeded, with no contact field left.
    expect
      .soft(deployment.status, `${deployment.error ?? ''}\n${formatLog(log)}`)
      .toBe('succeeded');
    expect.soft(job.status).toBe('succeeded');
    for (const record of [deployment, job]) {
      expect.soft(record).not.toHaveProperty('contact');
      expect.soft(record).not.toHaveProperty('contactLostAt');
    }

    // No final status before the build had really finished (the last line's own timestamp).
    const lastTick = log.find((l) => printedText(l) === tickerOutput(marker, TICKS));
    expect(lastTick, formatLog(log)).toBeDefined();
    const buildDoneAt = ms(lastTick!.ts);
    const early = samples.filter(
      (s) => s.at < buildDoneAt && (isFinal(s.deployment.status) || isFinal(s.job.status)),
    );
    expect
      .soft(
        early.map((s) => describeSample(s, cutAt)),
        table,
      )
      .toEqual([]);

    // No contact field before the cut; once the control plane noticed, contact lost throughout the cut.
    const beforeCut = samples.filter((s) => s.phase === 'start');
    expect.soft(beforeCut.length).toBeGreaterThan(0);
    expect
      .soft(
        beforeCut.filter((s) => s.deployment.contact !== undefined || s.job.contact !== undefined),
      )
      .toEqual([]);
    const noticed = watch.during('cut').filter((s) => s.at >= cutAt + NOTICE_MS);
    expect.soft(noticed.length, table).toBeGreaterThan(20);
    const window = { from: cutAt - 2_000, to: cutAt + NOTICE_MS };
    const wrong = noticed.flatMap((s) =>
      contactProblems(s, window).map((p) => `${describeSample(s, cutAt)}: ${p}`),
    );
    expect.soft(wrong.slice(0, 10), table).toEqual([]);
    const lostAts = new Set(noticed.map((s) => s.deployment.contactLostAt));
    expect.soft([...lostAts], 'contactLostAt stays the same through one cut').toHaveLength(1);

    // After the agent is back, contact disappears while the build still runs.
    const back = watch
      .during('after')
      .filter((s) => s.at >= reconnectedAt + 3_000 && !isFinal(s.deployment.status));
    expect
      .soft(back.length, `samples after the reconnect while building\n${table}`)
      .toBeGreaterThan(0);
    expect
      .soft(
        back
          .filter((s) => s.deployment.contact !== undefined || s.job.contact !== undefined)
          .map((s) => describeSample(s, cutAt)),
        table,
      )
      .toEqual([]);

    // The followed log: every line once, 1..n in order, every ticker line whole, one end at the end.
    expect.soft(follower.status).toBe(200);
    const seqs = follower.lines.map((l) => l.seq);
    expect.soft(seqs).toEqual(log.map((_, i) => i + 1));
    expect.soft(follower.lines).toEqual(log);
    const tickCounts = Array.from({ length: TICKS }, (_, i) => i + 1)
      .map((n) => ({
        n,
        count: follower.lines.filter((l) => printedText(l) === tickerOutput(marker, n)).length,
      }))
      .filter((t) => t.count !== 1);
    expect.soft(tickCounts, 'ticker lines not received exactly once').toEqual([]);
    const ends = follower.events.filter((e) => e.event === 'end');
    expect.soft(ends.map((e) => JSON.parse(e.data) as unknown)).toEqual([{ status: 'succeeded' }]);
    expect.soft(follower.events.at(-1)?.event).toBe('end');
    const closedDuringCut =
      streamClosedAt !== undefined && streamClosedAt >= cutAt && streamClosedAt < restoredAt;
    expect.soft(closedDuringCut, 'the event stream closed during the cut').toBe(false);

    if (deployment.status === 'succeeded') await expectServes(port, 'contact-v1');
  }, 180_000);

  it('a cancel while contact is lost ends the deployment at once, and the agent is told once it is back', async () => {
    const { stage, service, repo, port } = app!;
    const link = proxy!;
    const marker2 = `cancel-${run}`;
    const ticks = 40; // 20 s of build, long after the cancel
    await repo.commit(
      appFiles({ version: 'contact-v2', buildTicker: { marker: marker2, count: ticks } }),
      'slow build to cancel',
    );
    // what serves now (the first test's release), if anything: it must keep serving
    const [serving] = await containersOf(service.id, { runningOnly: true });
    const queued = await deploy(stage, service.id);
    const id = queued.deployment.id;
    await waitForTick(stage, id, marker2, 2);
    // had it gone on, the build would print its last line about then, and release soon after
    const buildWouldEndAt = Date.now() + (ticks - 2) * 500;
    const watch = new DeploymentWatch(stage, queued, 250);

    const { value: cancelled, cutAt } = await withCut(link, watch, async () => {
      const lost = await waitFor(
        'the deployment to show the lost contact (or to end)',
        () => {
          const last = watch.samples.at(-1);
          return last &&
            last.at > Date.now() - 1_000 &&
            (last.deployment.contact === 'lost' || isFinal(last.deployment.status))
            ? last
            : null;
        },
        { timeoutMs: NOTICE_MS + 2_000, intervalMs: 100 },
      ).catch(() => watch.samples.at(-1));
      expect
        .soft(lost?.deployment.contact, formatSamples(watch.samples, watch.samples[0]!.at))
        .toBe('lost');
      expect(lost?.deployment.status, lost?.deployment.error).toBe('building');

      const answer = await cancel(stage, id);
      expect(answer.status, JSON.stringify(answer.body)).toBe(202);
      expect(answer.body.deployment?.status).toBe('cancelled');
      expect(answer.body.job.status).toBe('cancelled');
      const now = await getDeployment(stage, id);
      expect(now.status).toBe('cancelled');
      expect((await getJob(stage, queued.job.id)).status).toBe('cancelled');
      await sleep(2_000);
      return now;
    });
    expect(cancelled.finishedAt).toBeTruthy();

    await waitForAgentConnected(stage.agent, 30_000);
    // The agent hears of the cancel: it stops the build long before the build would have ended.
    await waitFor(
      'the agent to stop the cancelled build',
      async () =>
        (await agentStatus(stage.agent)).runningJobs === 0 &&
        !(await runningCommands()).some((c) => c.includes(marker2)),
      { timeoutMs: 15_000, intervalMs: 250 },
    );
    expect(Date.now()).toBeLessThan(buildWouldEndAt);

    // Until well past when the release would have started, no container of it ever runs.
    const ranContainers = new Set<string>();
    while (Date.now() < buildWouldEndAt + 8_000) {
      for (const c of await containersOf(service.id)) {
        if (c.labels['berth.deployment'] === id && c.running) ranContainers.add(c.id);
      }
      await sleep(500);
    }
    const samples = await watch.stop();
    expect([...ranContainers]).toEqual([]);
    const afterCancel = samples.filter((s) => s.at > cutAt && isFinal(s.deployment.status));
    expect(
      afterCancel
        .filter((s) => s.deployment.status !== 'cancelled' || s.job.status !== 'cancelled')
        .map((s) => describeSample(s, cutAt)),
    ).toEqual([]);
    expect((await getDeployment(stage, id)).status).toBe('cancelled');
    expect((await getJob(stage, queued.job.id)).status).toBe('cancelled');
    if (serving) {
      expect((await runningContainerOf(service.id)).id).toBe(serving.id);
      await expectServes(port, 'contact-v1');
    }
  }, 120_000);
});

describe.skipIf(!hasDocker)('lost contact past BERTH_LOST_JOB_GRACE_MS', () => {
  const run = uniqueId();
  const marker = `grace-${run}`;
  const GRACE_MS = 4_000;
  const TICKS = 50; // 25 s of build, so the agent is still building when the link comes back
  let app: GitAppStage | undefined;
  let proxy: TcpProxy | undefined;

  beforeAll(async () => {
    ({ app, proxy } = await startCuttableStage(
      'grace',
      appFiles({ version: 'grace-v1', buildTicker: { marker, count: TICKS } }),
      { BERTH_LOST_JOB_GRACE_MS: String(GRACE_MS) },
    ));
  });
  afterAll(async () => {
    await app?.stop();
    await proxy?.close();
  });

  it('fails the deployment once the grace has passed, and it stays failed whatever the agent reports later', async () => {
    const { stage, service } = app!;
    const link = proxy!;
    const queued = await deploy(stage, service.id);
    const id = queued.deployment.id;
    await waitForTick(stage, id, marker, 2);
    const watch = new DeploymentWatch(stage, queued, 250);

    const cutMs = NOTICE_MS + GRACE_MS + 3_000;
    const { value: failed, cutAt } = await withCut(link, watch, async () => {
      const cutStartedAt = Date.now();
      const ended = await waitFor(
        'the deployment to end during the cut',
        async () => {
          const d = await getDeployment(stage, id);
          return isFinal(d.status) ? d : null;
        },
        { timeoutMs: cutMs, intervalMs: 250 },
      );
      await sleep(Math.max(0, cutStartedAt + cutMs - Date.now()));
      return ended;
    });
    const table = () => formatSamples(watch.samples, cutAt);
    expect(failed.status, table()).toBe('failed');
    expect.soft(failed.error).toMatch(/lost/i);
    expect.soft(failed.error).toMatch(/contact/i);
    // Not before the grace: it counts from the moment contact was lost, which is after the cut.
    expect.soft(ms(failed.finishedAt) - cutAt, table()).toBeGreaterThanOrEqual(GRACE_MS - 250);
    const lostAt = watch.samples.find((s) => s.deployment.contactLostAt)?.deployment.contactLostAt;
    expect.soft(lostAt, `contactLostAt while running\n${table()}`).toBeDefined();
    if (lostAt) {
      const afterLossMs = ms(failed.finishedAt) - ms(lostAt);
      expect.soft(afterLossMs).toBeGreaterThanOrEqual(GRACE_MS - 250);
      expect.soft(afterLossMs).toBeLessThan(GRACE_MS + 5_000);
    }

    // The agent comes back still building, then reports its own outcome: nothing changes.
    await waitForAgentConnected(stage.agent, 30_000);
    const reconnectedAt = Date.now();
    let agentIdleAt: number | null = null;
    while (Date.now() < reconnectedAt + 45_000) {
      const idle = (await agentStatus(stage.agent)).runningJobs === 0;
      if (idle && agentIdleAt === null) agentIdleAt = Date.now();
      if (agentIdleAt !== null && Date.now() > Math.max(agentIdleAt, reconnectedAt) + 5_000) break;
      await sleep(250);
    }
    expect(agentIdleAt, 'the agent to finish with the job').not.toBeNull();
    const samples = await watch.stop();
    // From the first answer that showed the failure on: `finishedAt` is stamped just before the
    // write commits, so an answer read in between may still show it building.
    const afterFailure = samples.slice(samples.findIndex((s) => s.deployment.status === 'failed'));
    expect(afterFailure.length).toBeGreaterThan(10);
    const changed = afterFailure.filter(
      (s) =>
        s.deployment.status !== 'failed' ||
        s.job.status !== 'failed' ||
        s.deployment.error !== failed.error,
    );
    expect(
      changed.map((s) => `${describeSample(s, cutAt)}: ${s.deployment.error ?? ''}`),
      table(),
    ).toEqual([]);
    const final = await getDeployment(stage, id);
    expect(final.status).toBe('failed');
    expect(final.error).toBe(failed.error);
    expect((await getJob(stage, queued.job.id)).status).toBe('failed');
  }, 150_000);
});
