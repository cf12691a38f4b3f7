// Logs at build speed: a git app printing 100k and then 1M lines, deployed Without cache
// through the real control plane and agent, next to `docker build --no-cache` of the same
// checkout in the same run; then the live latency of a followed log at 100 lines/s.
// Prints figures; asserts nothing.
//
//   pnpm bench:logs      (after pnpm build, with a Docker engine and test/run.sh's base image)
//   BENCH_LOG_SIZES=100000 pnpm bench:logs     (sizes to run, comma-separated)
//   BENCH_LOG_ROUNDS=1 pnpm bench:logs         (rounds of each size, 3 by default)
//   BENCH_CP_NODE_OPTIONS / BENCH_AGENT_NODE_OPTIONS   (NODE_OPTIONS of either process)
import { spawn } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { Readable } from 'node:stream';
import { BASE_IMAGE, uniqueId } from '../test/support/app-fixture.js';
import {
  createService,
  deploy,
  startStage,
  stopStage,
  waitForFinished,
  type Stage,
} from '../test/support/deploy-helpers.js';
import { LogFollower, printedText, type LogLine } from '../test/support/deploy-logs.js';
import { GitServer, git } from '../test/support/git-server.js';
import { tempDir } from '../test/support/processes.js';
import { sleep } from '../test/support/wait.js';
import { rssNow, sampleRss, type StageRss } from './stage-memory.js';
import { formatCount, markdownTable, percentile } from './store/figures.js';

const SIZES = (process.env.BENCH_LOG_SIZES ?? '100000,1000000')
  .split(',')
  .map((s) => Number(s.trim()))
  .filter((n) => Number.isInteger(n) && n > 0);
/** Rounds of each size; the table shows medians of the times and the highest RSS. */
const ROUNDS = Math.max(1, Number(process.env.BENCH_LOG_ROUNDS ?? 3));
/** Lines the latency app prints, about 100 a second. */
const LATENCY_LINES = Number(process.env.BENCH_LATENCY_LINES ?? 1_500);

/** Runs a command with its output drained (as a terminal would read it), in ms. */
function timedRun(command: string, args: string[], env: NodeJS.ProcessEnv = {}): Promise<number> {
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { env: { ...process.env, ...env } });
    let tail = '';
    child.stdout.on('data', () => undefined);
    child.stderr.on('data', (chunk: Buffer) => (tail = (tail + chunk.toString()).slice(-2000)));
    child.on('error', reject);
    child.on('close', (code) =>
      code === 0
        ? resolve(performance.now() - started)
        : reject(new Error(`${command} ${args.join(' ')} exited ${code}: ${tail}`)),
    );
  });
}

/** The stored log, streamed: calls `onLine` for each line without holding the whole log. */
async function streamLog(
  stage: Stage,
  deploymentId: string,
  onLine: (line: LogLine) => void,
): Promise<void> {
  const res = await fetch(`${stage.cp.url}/api/v1/deployments/${deploymentId}/logs`, {
    headers: { authorization: `Bearer ${stage.cp.token}` },
  });
  if (res.status !== 200 || !res.body) throw new Error(`logs: HTTP ${res.status}`);
  const lines = createInterface({ input: Readable.fromWeb(res.body as never) });
  for await (const text of lines) if (text.trim() !== '') onLine(JSON.parse(text) as LogLine);
}

interface Fidelity {
  stored: number;
  contiguous: boolean;
  whole: number;
  lost: number;
  duplicated: number;
  /** Build lines of digits that are not a number printed: the pieces of a torn line. */
  torn: number;
  /** From the first build line to the last, by the agent's timestamps, in ms. */
  buildSpanMs: number;
}

async function checkLog(stage: Stage, deploymentId: string, n: number): Promise<Fidelity> {
  const seen = new Uint8Array(n + 1);
  let stored = 0;
  let contiguous = true;
  let torn = 0;
  let firstBuild = NaN;
  let lastBuild = NaN;
  await streamLog(stage, deploymentId, (line) => {
    stored += 1;
    if (line.seq !== stored) contiguous = false;
    if (line.stream !== 'build') return;
    if (Number.isNaN(firstBuild)) firstBuild = Date.parse(line.ts);
    lastBuild = Date.parse(line.ts);
    const text = printedText(line);
    if (!/^\d+$/.test(text)) return;
    const value = Number(text);
    if (value < 1 || value > n) torn += 1;
    else if (seen[value]! < 255) seen[value]! += 1;
  });
  let whole = 0;
  let lost = 0;
  let duplicated = 0;
  for (let i = 1; i <= n; i += 1) {
    if (seen[i] === 0) lost += 1;
    else whole += 1;
    if (seen[i]! > 1) duplicated += seen[i]! - 1;
  }
  return { stored, contiguous, whole, lost, duplicated, torn, buildSpanMs: lastBuild - firstBuild };
}

interface SizeResult {
  n: number;
  /** `docker build` alone. */
  rawMs: number;
  /** The same work as a deploy: clone, `docker build`, `docker run`. */
  rawDeployMs: number;
  berthMs: number;
  /** The deployment's build phase, from its timeline. */
  buildPhaseMs: number;
  fidelity: Fidelity;
  before: StageRss;
  peak: StageRss;
}

async function runSize(stage: Stage, gitServer: GitServer, n: number): Promise<SizeResult> {
  const run = uniqueId();
  const repo = await gitServer.createRepo(`lines-${n}-${run}`);
  await repo.commit(
    {
      Dockerfile: [
        `FROM ${BASE_IMAGE}`,
        `RUN echo "printing ${n} lines (${run})" && seq 1 ${n}`,
        'CMD ["sleep", "3600"]',
        '',
      ].join('\n'),
    },
    'print lines',
  );

  // Raw: the same checkout, the same (classic) builder the agent drives through the API;
  // then the rest of a deploy's work by hand: clone, build, run.
  const checkout = tempDir('bench-logs');
  const tag = `berth-bench/raw-${run}`;
  const cloneStarted = performance.now();
  await git(checkout, ['clone', '--quiet', '--end-of-options', repo.url, 'app']);
  const cloneMs = performance.now() - cloneStarted;
  const build = ['build', '--no-cache', '-t', tag, join(checkout, 'app')];
  const rawMs = await timedRun('docker', build, { DOCKER_BUILDKIT: '0' });
  const name = `berth-bench-raw-${run}`;
  const runMs = await timedRun('docker', ['run', '-d', '--name', name, tag]);
  await timedRun('docker', ['rm', '-f', name]);
  await timedRun('docker', ['image', 'rm', '-f', tag]).catch(() => 0);
  rmSync(checkout, { recursive: true, force: true });
  const rawDeployMs = cloneMs + rawMs + runMs;
  console.log(
    `  ${formatCount(n)} raw: clone ${cloneMs.toFixed(0)} ms, build ${rawMs.toFixed(0)} ms, run ${runMs.toFixed(0)} ms`,
  );

  const service = await createService(stage, {
    name: `lines-${n}`,
    source: { type: 'git', repository: repo.url, ref: 'main' },
    // No wait after the start: the figure is the build and the release, not a healthcheck.
    healthcheck: { type: 'running', seconds: 0 },
  });
  await sleep(1_000);
  const before = rssNow(stage);
  const sampler = sampleRss(stage);
  const queued = await deploy(stage, service.id, 'none');
  const done = await waitForFinished(stage, queued, 30 * 60_000);
  const peak = await sampler.stop();
  if (done.deployment.status !== 'succeeded')
    throw new Error(`deployment ${done.deployment.status}: ${done.deployment.error}`);
  // From the API call to the outcome, by the control plane's own record: waiting for it
  // here polls, which would add up to the polling interval.
  const berthMs = Date.parse(done.deployment.finishedAt!) - Date.parse(done.deployment.createdAt);
  const fidelity = await checkLog(stage, done.deployment.id, n);
  const took = (p: { startedAt: string; finishedAt?: string }) =>
    p.finishedAt ? Date.parse(p.finishedAt) - Date.parse(p.startedAt) : NaN;
  const phases = done.deployment.phases.map((p) => `${p.name} ${took(p)} ms`).join(', ');
  console.log(`  ${formatCount(n)} phases: ${phases}`);
  const buildPhase = done.deployment.phases.find((p) => p.name === 'build');
  const buildPhaseMs = buildPhase ? took(buildPhase) : NaN;
  return { n, rawMs, rawDeployMs, berthMs, buildPhaseMs, fidelity, before, peak };
}

/**
 * One row from rounds of a size: the median of each time, every round's lost, torn and doubled
 * lines added up, and the round whose RSS grew most during its deploy (each round starts after
 * the previous one's log was read back whole, which the control plane's RSS keeps).
 */
function combineRounds(rounds: SizeResult[]): SizeResult {
  const median = (pick: (r: SizeResult) => number) => percentile(rounds.map(pick), 0.5);
  const sum = (pick: (r: Fidelity) => number) =>
    rounds.reduce((total, r) => total + pick(r.fidelity), 0);
  const last = rounds.at(-1)!;
  return {
    n: last.n,
    rawMs: median((r) => r.rawMs),
    rawDeployMs: median((r) => r.rawDeployMs),
    berthMs: median((r) => r.berthMs),
    buildPhaseMs: median((r) => r.buildPhaseMs),
    fidelity: {
      ...last.fidelity,
      contiguous: rounds.every((r) => r.fidelity.contiguous),
      buildSpanMs: median((r) => r.fidelity.buildSpanMs),
      torn: sum((f) => f.torn),
      lost: sum((f) => f.lost),
      duplicated: sum((f) => f.duplicated),
    },
    ...mostGrowth(rounds),
  };
}

/** Each side's RSS before and at the peak of the round in which it grew most. */
function mostGrowth(rounds: SizeResult[]): Pick<SizeResult, 'before' | 'peak'> {
  const worst = (side: keyof StageRss) =>
    rounds.reduce((a, b) =>
      b.peak[side] - b.before[side] > a.peak[side] - a.before[side] ? b : a,
    );
  const agent = worst('agent');
  const controlPlane = worst('controlPlane');
  return {
    before: { agent: agent.before.agent, controlPlane: controlPlane.before.controlPlane },
    peak: { agent: agent.peak.agent, controlPlane: controlPlane.peak.controlPlane },
  };
}

/** The host's monotonic uptime in ms, the clock `cat /proc/uptime` prints in a container. */
function uptimeMs(): number {
  return Number(readFileSync('/proc/uptime', 'utf8').split(' ')[0]) * 1000;
}

/**
 * A build printing /proc/uptime about 100 times a second, followed live with `follow=1`:
 * how long each line took from the build to the client. /proc/uptime counts in 10 ms steps.
 */
async function liveLatency(stage: Stage, gitServer: GitServer) {
  const repo = await gitServer.createRepo(`latency-${uniqueId()}`);
  await repo.commit(
    {
      Dockerfile: [
        `FROM ${BASE_IMAGE}`,
        // `read` is a shell builtin: one fork a line (usleep), so the rate stays near 100/s.
        `RUN i=0; while [ $i -lt ${LATENCY_LINES} ]; do read up idle < /proc/uptime; echo "tick $up"; usleep 9000; i=$((i+1)); done`,
        'CMD ["sleep", "3600"]',
        '',
      ].join('\n'),
    },
    'ticks',
  );
  const service = await createService(stage, {
    name: 'latency',
    source: { type: 'git', repository: repo.url, ref: 'main' },
    healthcheck: { type: 'running', seconds: 0 },
  });
  const queued = await deploy(stage, service.id, 'none');
  const offset = Date.now() - uptimeMs();
  const follower = new LogFollower(stage, queued.deployment.id);
  await waitForFinished(stage, queued, 10 * 60_000);
  await follower.end;
  const latencies: number[] = [];
  const printed: number[] = [];
  for (const event of follower.events) {
    if (event.event !== 'line') continue;
    const line = JSON.parse(event.data) as LogLine;
    const match = /^tick (\d+\.\d+)$/.exec(printedText(line));
    if (!match) continue;
    const at = Number(match[1]) * 1000 + offset;
    printed.push(at);
    latencies.push(event.receivedAt - at);
  }
  const seconds = ((printed.at(-1) ?? 0) - (printed[0] ?? 0)) / 1000;
  return {
    lines: latencies.length,
    rate: latencies.length / Math.max(seconds, 0.001),
    p50: percentile(latencies, 0.5),
    p99: percentile(latencies, 0.99),
    max: Math.max(...latencies),
  };
}

async function main(): Promise<void> {
  const gitServer = await GitServer.start();
  const nodeOptions = (name: string) =>
    process.env[name] ? { NODE_OPTIONS: process.env[name] } : undefined;
  const cpEnv = nodeOptions('BENCH_CP_NODE_OPTIONS');
  const agentEnv = nodeOptions('BENCH_AGENT_NODE_OPTIONS');
  const stage = await startStage('bench-logs', {
    ...(cpEnv ? { controlPlaneEnv: cpEnv } : {}),
    ...(agentEnv ? { agentEnv } : {}),
  });
  try {
    await sleep(2_000);
    const results: SizeResult[] = [];
    for (const n of SIZES) {
      const rounds: SizeResult[] = [];
      for (let round = 1; round <= ROUNDS; round += 1) {
        console.log(`… ${formatCount(n)} lines, round ${round} of ${ROUNDS}`);
        rounds.push(await runSize(stage, gitServer, n));
      }
      results.push(combineRounds(rounds));
    }
    console.log(`… live latency, ${LATENCY_LINES} lines at about 100 a second`);
    const latency = await liveLatency(stage, gitServer);

    const mb = (v: number) => v.toFixed(0);
    const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
    const rows = results.map((r) => [
      formatCount(r.n),
      `${seconds(r.rawMs)} / ${seconds(r.buildPhaseMs)} (${(r.buildPhaseMs / r.rawMs).toFixed(2)}×)`,
      `${seconds(r.rawDeployMs)} / ${seconds(r.berthMs)} (${(r.berthMs / r.rawDeployMs).toFixed(2)}×)`,
      `${(r.berthMs / r.rawMs).toFixed(2)}×`,
      seconds(r.fidelity.buildSpanMs),
      `${r.fidelity.stored}${r.fidelity.contiguous ? '' : ' (gaps!)'}`,
      `${r.fidelity.torn} / ${r.fidelity.lost} / ${r.fidelity.duplicated}`,
      `${mb(r.before.agent)} → ${mb(r.peak.agent)} (+${mb(r.peak.agent - r.before.agent)})`,
      `${mb(r.before.controlPlane)} → ${mb(r.peak.controlPlane)} (+${mb(r.peak.controlPlane - r.before.controlPlane)})`,
    ]);
    console.log(
      `\nBerth log benchmark (medians of ${ROUNDS} rounds; RSS of the round that grew most, from\n` +
        `before its deploy to its peak): a RUN step printing n lines, deployed Without cache, next to\n` +
        `DOCKER_BUILDKIT=0 docker build --no-cache of the same checkout (the agent's builder),\n` +
        `and next to the same work as a deploy by hand: git clone, docker build, docker run\n`,
    );
    console.log(
      markdownTable(
        [
          'lines',
          'build: raw / Berth',
          'deploy: raw clone+build+run / Berth',
          'Berth deploy / raw build',
          'build lines span',
          'lines stored (seq 1..n)',
          'torn / lost / dup',
          'agent RSS MB',
          'CP RSS MB',
        ],
        rows,
      ),
    );
    console.log(
      `\nLive: ${latency.lines} lines at ${latency.rate.toFixed(0)} lines/s, build to SSE client ` +
        `p50 ${latency.p50.toFixed(0)} ms, p99 ${latency.p99.toFixed(0)} ms, max ${latency.max.toFixed(0)} ms ` +
        `(printed by the build from /proc/uptime, 10 ms steps)`,
    );
  } finally {
    await stopStage(stage);
    await gitServer.stop();
  }
}

await main();
