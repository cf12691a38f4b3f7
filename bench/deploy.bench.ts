// Measures what a user waits for against the same work done with the raw Docker CLI, in the
// same run, on the same engine, image and app; and what the agent costs. Prints figures;
// asserts nothing.
//
//   pnpm build && pnpm bench   (with a Docker engine, the registry and test/run.sh's base image)
//
// The raw side runs its container as Berth does: on a user-defined network (Berth's environment
// network) under the service's name as an alias. The same commands on Docker's default bridge,
// which Docker sets up faster and Berth never uses, are printed beside them.
//
// BENCH_ROUNDS (default 5) rounds per row, Berth and the two raw forms taking turns;
// BENCH_DEPLOYS (default 50) deployments between the idle and the "after" memory figures.
import { loadavg } from 'node:os';
import { appFiles, pushAppImage, uniqueId } from '../test/support/app-fixture.js';
import {
  createService,
  deploy,
  getDeployment,
  stopStage,
  startStage,
  type Deployment,
  type Stage,
} from '../test/support/deploy-helpers.js';
import { GitServer, type GitRepo } from '../test/support/git-server.js';
import { freePort } from '../test/support/ports.js';
import { tempDir } from '../test/support/processes.js';
import { sleep } from '../test/support/wait.js';
import { cpuSeconds, dockerCli, gitCli, rssMb, waitForHttp } from './deploy/measure.js';
import { phaseTable, resultTable, type RowResult } from './deploy/report.js';

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);
const DEPLOYS = Number(process.env.BENCH_DEPLOYS ?? 50);
const APP_PORT = 8080;
const HEALTHCHECK = { type: 'http', port: APP_PORT, path: '/', timeoutSeconds: 30 } as const;

/** Deploys and waits for the outcome on the deployment's log stream, which ends the moment it does. */
async function timedDeploy(
  stage: Stage,
  serviceId: string,
): Promise<{ ms: number; deployment: Deployment }> {
  const started = performance.now();
  const queued = await deploy(stage, serviceId, 'use-existing');
  const res = await fetch(
    `${stage.cp.url}/api/v1/deployments/${queued.deployment.id}/logs?follow=1`,
    { headers: { authorization: `Bearer ${stage.cp.token}` } },
  );
  if (!res.ok || !res.body) throw new Error(`log stream: ${res.status}`);
  const decoder = new TextDecoder();
  let seen = '';
  for await (const chunk of res.body) {
    seen = (seen + decoder.decode(chunk as Uint8Array, { stream: true })).slice(-4096);
    if (seen.includes('event: end')) break;
  }
  const ms = performance.now() - started;
  const deployment = await getDeployment(stage, queued.deployment.id);
  if (deployment.status !== 'succeeded')
    throw new Error(`deployment #${deployment.number} ${deployment.status}: ${deployment.error}`);
  return { ms, deployment };
}

/**
 * Where a raw container runs: like Berth's, on a user-defined network under an alias (each
 * environment has one, and every service joins it with its name as a DNS alias), or on the
 * default bridge, which Docker sets up faster and Berth never uses.
 */
type RawNetwork = { name: string; alias: string } | 'bridge';

/** `docker rm -f` + `docker run` + the first 200 from the published port. */
async function rawRun(
  name: string,
  image: string,
  ports: RawPorts,
  network: RawNetwork,
): Promise<void> {
  const onBridge = network === 'bridge';
  const container = onBridge ? `${name}-bridge` : name;
  const port = onBridge ? ports.bridge : ports.network;
  await dockerCli(['rm', '-f', container]);
  await dockerCli([
    'run',
    '-d',
    '--init',
    '--name',
    container,
    ...(onBridge ? [] : ['--network', network.name, '--network-alias', network.alias]),
    '-p',
    `127.0.0.1:${port}:${APP_PORT}`,
    image,
  ]);
  await waitForHttp(`http://127.0.0.1:${port}/`);
}

/** The host ports of a row's two raw containers. */
interface RawPorts {
  network: number;
  bridge: number;
}

async function rawPorts(): Promise<RawPorts> {
  return { network: await freePort(), bridge: await freePort() };
}

async function removeRaw(name: string): Promise<void> {
  await dockerCli(['rm', '-f', name, `${name}-bridge`]);
}

async function timed(work: () => Promise<void>): Promise<number> {
  const started = performance.now();
  await work();
  return performance.now() - started;
}

interface Row {
  label: string;
  raw: string;
  berth: () => Promise<{ ms: number; deployment: Deployment }>;
  rawWork: (network: RawNetwork) => Promise<void>;
  /** Runs before each Berth round and before each raw round, untimed (a new commit). */
  prepare?: (side: 'berth' | 'raw', round: number) => Promise<void>;
}

async function runRow(row: Row, network: RawNetwork): Promise<RowResult> {
  const berth: number[] = [];
  const raw: number[] = [];
  const rawBridge: number[] = [];
  const deployments: Deployment[] = [];
  for (let round = 0; round < ROUNDS; round += 1) {
    await row.prepare?.('berth', round);
    const b = await row.berth();
    berth.push(b.ms);
    deployments.push(b.deployment);
    await row.prepare?.('raw', round);
    raw.push(await timed(() => row.rawWork(network)));
    await row.prepare?.('raw', round);
    rawBridge.push(await timed(() => row.rawWork('bridge')));
  }
  return { label: row.label, rawLabel: row.raw, berth, raw, rawBridge, deployments };
}

async function gitRows(
  stage: Stage,
  repo: GitRepo,
  run: string,
  networkName: string,
): Promise<RowResult[]> {
  await repo.commit(appFiles({ version: `v0-${run}` }), 'v0');
  const service = await createService(stage, {
    name: 'bench-git',
    source: { type: 'git', repository: repo.url, ref: 'main' },
    ports: [{ container: APP_PORT, host: await freePort() }],
    healthcheck: HEALTHCHECK,
  });
  const first = await timedDeploy(stage, service.id);
  const ports = await rawPorts();
  const rawName = `bench-raw-git-${run}`;
  const network = { name: networkName, alias: service.name };
  const unchanged = await runRow(
    {
      label: 'git app, unchanged commit, use existing cache (build skipped)',
      raw: '`rm -f` + `run` + first 200',
      berth: () => timedDeploy(stage, service.id),
      rawWork: (on) => rawRun(rawName, first.deployment.imageId!, ports, on),
    },
    network,
  );

  const checkout = tempDir('bench-raw-checkout');
  await gitCli(checkout, ['init', '-q']);
  let version = 0;
  const newCommit = await runRow(
    {
      label: 'git app, new commit, layer cache',
      raw: '`fetch` + `build` + `rm -f` + `run` + first 200',
      prepare: async (side, round) => {
        version += 1;
        await repo.commit(appFiles({ version: `v${version}-${side}-${round}-${run}` }), 'bench');
      },
      berth: () => timedDeploy(stage, service.id),
      rawWork: async (on) => {
        await gitCli(checkout, ['fetch', '-q', '--depth', '1', '--no-tags', repo.url, 'main']);
        await gitCli(checkout, ['checkout', '-q', '--detach', 'FETCH_HEAD']);
        const tag = `bench-raw-git-${run}:${version}`;
        await dockerCli(['build', '-q', '-t', tag, checkout], { DOCKER_BUILDKIT: '0' });
        await rawRun(rawName, tag, ports, on);
      },
    },
    network,
  );
  await removeRaw(rawName);
  const tags = (await dockerCli(['image', 'ls', '-q', `bench-raw-git-${run}`])).split('\n');
  for (const id of new Set(tags.filter(Boolean)))
    await dockerCli(['rmi', '-f', id]).catch(() => '');
  return [unchanged, newCommit];
}

async function main(): Promise<void> {
  const run = uniqueId();
  const load = [loadavg()[0]!];
  const git = await GitServer.start();
  // Production heartbeat timing (the test stage beats every 500 ms), so idle CPU is what a server sees.
  const stage = await startStage('bench', {
    controlPlaneEnv: { BERTH_HEARTBEAT_INTERVAL_MS: '5000', BERTH_LIVENESS_TIMEOUT_MS: '15000' },
  });
  const pushed = await pushAppImage({ repository: 'berth-bench/web', tag: run, version: run });
  stage.pulledImages.push(pushed.image, pushed.pinned);
  const networkName = `bench-raw-${run}`;
  await dockerCli(['network', 'create', networkName]);
  try {
    await sleep(3_000);
    const agentPid = stage.agent.process.pid;
    const idleCpuStart = cpuSeconds(agentPid);
    // 20 s, as bench:idle: V8 gives back its start-up heap about 10 s after the start.
    await sleep(20_000);
    const idleCpuPercent = ((cpuSeconds(agentPid) - idleCpuStart) / 20) * 100;
    const idleRss = rssMb(agentPid).rss;

    const service = await createService(stage, {
      name: 'bench-image',
      source: { type: 'image', image: pushed.image },
      ports: [{ container: APP_PORT, host: await freePort() }],
      healthcheck: HEALTHCHECK,
    });
    await timedDeploy(stage, service.id); // pulls the image once
    const ports = await rawPorts();
    const rawName = `bench-raw-img-${run}`;
    const image = await runRow(
      {
        label: 'image service, redeploy, use existing cache',
        raw: '`rm -f` + `run` + first 200',
        berth: () => timedDeploy(stage, service.id),
        rawWork: (on) => rawRun(rawName, pushed.image, ports, on),
      },
      { name: networkName, alias: service.name },
    );
    await removeRaw(rawName);
    const repo = await git.createRepo(`bench-${run}`);
    const rows = [image, ...(await gitRows(stage, repo, run, networkName))];

    // What the rows' deployments left once settled, to tell per-job growth from what the first
    // deployments load for good (the build path, the pulled image's layers in the page cache).
    await sleep(60_000);
    const beforeMore = rssMb(agentPid).rss;
    for (let i = 0; i < DEPLOYS; i += 1) await timedDeploy(stage, service.id);
    await sleep(5_000);
    const after = rssMb(agentPid);
    // "Returns to": once V8 has given back what the deploys used (it shrinks its heap within
    // about a minute of idling), with the CPU of that settled idle minute.
    const settledCpuStart = cpuSeconds(agentPid);
    await sleep(60_000);
    const settledCpuPercent = ((cpuSeconds(agentPid) - settledCpuStart) / 60) * 100;
    const settled = rssMb(agentPid);
    load.push(loadavg()[0]!);

    console.log(
      `\nBerth deploy benchmark: medians of ${ROUNDS}, Berth and raw Docker taking turns`,
    );
    console.log(resultTable(rows));
    console.log('\nPhase breakdown (medians, ms)');
    console.log(phaseTable(rows));
    console.log('\nAgent');
    console.log(`  RSS idle, connected, Docker reachable   ${idleRss} MB`);
    console.log(
      `  RSS after ${DEPLOYS} more deployments          ${after.rss} MB (5 s after the last)`,
    );
    console.log(`  RSS settled, 65 s after the last          ${settled.rss} MB`);
    console.log(
      `  RSS settled before those ${DEPLOYS}              ${beforeMore} MB (after the rows' deployments)`,
    );
    console.log(
      `  CPU over that settled minute             ${settledCpuPercent.toFixed(2)}% of a core`,
    );
    console.log(`  RSS peak (VmHWM)                         ${after.peak} MB`);
    console.log(
      `  CPU idle                                 ${idleCpuPercent.toFixed(2)}% of a core`,
    );
    console.log(`  control plane RSS                        ${rssMb(stage.cp.process.pid).rss} MB`);
    console.log(
      `  1-min load average before / after        ${load.map((l) => l.toFixed(2)).join(' / ')} (2 cores)`,
    );
  } finally {
    await stopStage(stage);
    await git.stop();
    await dockerCli(['network', 'rm', networkName]).catch(() => '');
  }
}

await main();
