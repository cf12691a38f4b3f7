import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CacheMode } from '@berth/protocol';
import { uniqueId } from '../support/app-fixture.js';
import { caddyImageOrSkip } from '../support/caddy-image.js';
import {
  cancel,
  deploy,
  expectDeploymentStatus,
  restart,
  waitForJob,
  patchService,
  rollback,
  waitForFinished,
  type Deployment,
  type Queued,
  type Service,
} from '../support/deploy-helpers.js';
import { readLog, textsOf } from '../support/deploy-logs.js';
import { dockerOrSkip } from '../support/docker.js';
import type { GitRepo } from '../support/git-server.js';
import { formatSummary, startLoad, summarize, type Window } from '../support/load.js';
import { PROXY_APP_PORT, getVia, proxyAppFiles, releaseOf } from '../support/proxy-app.js';
import { sleep, waitFor } from '../support/wait.js';
import {
  createProxyService,
  proxyAppRepo,
  startProxyStage,
  waitForRoute,
  type ProxyStage,
} from '../support/proxy-stage.js';

const enabled = dockerOrSkip() && caddyImageOrSkip();

/** Requests per second through the proxy, on a new connection each. */
const RATE = 150;
const HEALTHY_PATH = '/';
/** A path the app answers with 404: a release checked there fails its health check. */
const BROKEN_PATH = '/no-such-page';

describe.skipIf(!enabled)('zero-downtime releases behind the proxy', () => {
  const run = uniqueId();
  const host = `web-${run}.berth.test`;
  let ps: ProxyStage;
  let repo: GitRepo;
  let service: Service;

  beforeAll(async () => {
    ps = await startProxyStage('proxy-zero-downtime');
  });
  afterAll(async () => {
    await ps?.stop();
  });

  /** Restart: a fresh container of the same release takes over. Returns its window. */
  async function restartUnderLoad(version: string): Promise<Window> {
    const before = releaseOf(await waitForRoute(ps, host, version, 3_000)).container;
    const from = Date.now();
    const job = await waitForJob(ps.stage, (await restart(ps.stage, service.id)).id, 120_000);
    const to = Date.now();
    expect(job.status).toBe('succeeded');
    await waitFor(
      'a fresh container to answer after the restart',
      async () => {
        const answer = await getVia(ps.httpPort, host);
        const release = releaseOf(answer.body);
        return release.version === version && release.container !== before;
      },
      { timeoutMs: 3_000 },
    );
    return { from, to };
  }

  /** Cancel of a release while it builds: the running one keeps every request. */
  async function cancelUnderLoad(cancelled: string, serving: string): Promise<Window> {
    await repo.commit(proxyAppFiles(cancelled, 20), cancelled);
    const from = Date.now();
    const queued = await deploy(ps.stage, service.id, 'none');
    // Into its 20 s build step, well before any health check.
    await sleep(3_000);
    expect((await cancel(ps.stage, queued.deployment.id)).status).toBe(202);
    const { deployment } = await waitForFinished(ps.stage, queued, 120_000);
    await expectDeploymentStatus(ps.stage, deployment, 'cancelled');
    const to = Date.now();
    await waitForRoute(ps, host, serving, 3_000);
    return { from, to };
  }

  /** From the start of the deployment's switch phase to the end of its drain, if it switched. */
  function switchWindow(deployment: Deployment): Window[] {
    const phase = (name: string) => deployment.phases.find((p) => p.name === name);
    const from = phase('switch')?.startedAt;
    const to = phase('drain')?.finishedAt;
    return from && to ? [{ from: Date.parse(from), to: Date.parse(to) }] : [];
  }

  /** One step of the sequence: what to do, and the version that must answer afterwards. */
  interface Step {
    label: string;
    start(): Promise<Queued>;
    expect: Deployment['status'];
    /** The version serving after the step. */
    serves: () => string;
  }

  it('answers every request across 10 redeploys, and never from a release that failed its check', async () => {
    repo = await proxyAppRepo(ps, 'web', `v1-${run}`);
    service = await createProxyService(ps, {
      name: 'web',
      repo,
      domains: [{ host, port: PROXY_APP_PORT, https: false }],
      drainSeconds: 5,
      healthPath: HEALTHY_PATH,
    });
    const first = await waitForFinished(ps.stage, await deploy(ps.stage, service.id));
    await expectDeploymentStatus(ps.stage, first.deployment, 'succeeded');
    await waitForRoute(ps, host, `v1-${run}`);

    const byLabel = new Map<string, Deployment>();
    const redeploy = (cache: CacheMode) => () => deploy(ps.stage, service.id, cache);
    /** Commits a new version, then redeploys with the cache. */
    const commitAndDeploy = (version: string) => async () => {
      await repo.commit(proxyAppFiles(version), version);
      return deploy(ps.stage, service.id, 'use-existing');
    };
    const steps: Step[] = [
      {
        label: 'use existing cache',
        start: redeploy('use-existing'),
        expect: 'succeeded',
        serves: () => `v1-${run}`,
      },
      {
        label: 'new commit',
        start: commitAndDeploy(`v2-${run}`),
        expect: 'succeeded',
        serves: () => `v2-${run}`,
      },
      {
        label: 'without cache',
        start: redeploy('none'),
        expect: 'succeeded',
        serves: () => `v2-${run}`,
      },
      {
        label: 'rollback to #1',
        start: () => rollback(ps.stage, first.deployment.id),
        expect: 'succeeded',
        serves: () => `v1-${run}`,
      },
      {
        label: 'failing health check',
        start: async () => {
          await repo.commit(proxyAppFiles(`bad-${run}`), 'bad');
          await patchService(ps.stage, service.id, {
            healthcheck: {
              type: 'http',
              port: PROXY_APP_PORT,
              path: BROKEN_PATH,
              timeoutSeconds: 3,
            },
          });
          return deploy(ps.stage, service.id, 'use-existing');
        },
        expect: 'failed',
        serves: () => `v1-${run}`,
      },
      {
        label: 'fixed, without cache',
        start: async () => {
          await patchService(ps.stage, service.id, {
            healthcheck: { type: 'http', port: PROXY_APP_PORT, path: HEALTHY_PATH },
          });
          await repo.commit(proxyAppFiles(`v3-${run}`), 'v3');
          return deploy(ps.stage, service.id, 'none');
        },
        expect: 'succeeded',
        serves: () => `v3-${run}`,
      },
      {
        label: 'use existing cache again',
        start: redeploy('use-existing'),
        expect: 'succeeded',
        serves: () => `v3-${run}`,
      },
      {
        label: 'rollback to the v2 build',
        start: () => rollback(ps.stage, byLabel.get('without cache')!.id),
        expect: 'succeeded',
        serves: () => `v2-${run}`,
      },
      {
        label: 'another commit',
        start: commitAndDeploy(`v4-${run}`),
        expect: 'succeeded',
        serves: () => `v4-${run}`,
      },
      {
        label: 'last redeploy',
        start: redeploy('use-existing'),
        expect: 'succeeded',
        serves: () => `v4-${run}`,
      },
    ];

    // The same load with no deploy first: what latency the proxy has on this machine anyway.
    const quiet = summarize(
      await startLoad({ port: ps.httpPort, host, ratePerSecond: RATE, maxRequests: RATE * 10 })
        .done,
    );
    console.log(`zero-downtime: baseline without deploys: ${formatSummary(quiet)}`);
    expect(quiet.failed).toBe(0);

    const load = startLoad({
      port: ps.httpPort,
      host,
      ratePerSecond: RATE,
      maxRequests: RATE * 900,
    });
    const windows: Window[] = [];
    try {
      for (const step of steps) {
        const from = Date.now();
        const queued = await step.start();
        const { deployment } = await waitForFinished(ps.stage, queued, 180_000);
        windows.push({ from, to: Date.now() });
        await expectDeploymentStatus(ps.stage, deployment, step.expect);
        byLabel.set(step.label, deployment);
        // A finished release is already the one answering.
        await waitForRoute(ps, host, step.serves(), 3_000);
      }
      windows.push(await restartUnderLoad(`v4-${run}`));
      windows.push(await cancelUnderLoad(`cancelled-${run}`, `v4-${run}`));
    } finally {
      load.stop();
    }
    const samples = await load.done;
    const summary = summarize(samples, windows);
    const switches = [...byLabel.values()].flatMap(switchWindow);
    const atSwitches = summarize(samples, switches);
    console.log(
      `zero-downtime: ${steps.length} redeploys, a restart and a cancel under load (windows: ` +
        `whole deploys): ${formatSummary(summary)}\n` +
        `zero-downtime: p99 from switch to drained (${switches.length} switches, ` +
        `${atSwitches.requestsInWindows} requests): ${atSwitches.p99InWindowsMs?.toFixed(1)} ms\n` +
        `answers by release: ${JSON.stringify(summary.bodies)}`,
    );

    expect(summary.rate).toBeGreaterThanOrEqual(100);
    expect(summary.failures).toEqual([]);
    expect(summary.failed).toBe(0);
    const versions = new Set(samples.map((s) => releaseOf(s.body ?? '').version));
    expect(versions.has(`bad-${run}`)).toBe(false);
    expect(versions.has(`cancelled-${run}`)).toBe(false);
    const failed = byLabel.get('failing health check')!;
    if (failed.containerId) {
      const short = failed.containerId.slice(0, 12);
      expect(samples.filter((s) => releaseOf(s.body ?? '').container === short)).toEqual([]);
    }
    // Every release that succeeded took traffic, without a gap between them.
    expect([...versions].sort()).toEqual(
      [`v1-${run}`, `v2-${run}`, `v3-${run}`, `v4-${run}`].sort(),
    );

    // The log says when traffic moved and how long the old release took to drain.
    const log = textsOf(await readLog(ps.stage, byLabel.get('new commit')!.id), 'system');
    expect(log.some((t) => /Switched traffic to/.test(t))).toBe(true);
    expect(log.some((t) => /Drained deployment #\d+ in \d+ ms/.test(t))).toBe(true);
    const failedLog = textsOf(await readLog(ps.stage, failed.id), 'system');
    expect(failedLog.some((t) => /Switched traffic to/.test(t))).toBe(false);
  }, 900_000);
});
