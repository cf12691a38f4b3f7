// Measures what a user waits for and what the processes cost, against the real
// control plane, agent and Docker engine. Prints figures; asserts nothing.
//
//   pnpm bench          (after pnpm build, with a Docker engine and test/run.sh's base image)
import { readFileSync } from 'node:fs';
import { appFiles } from '../test/support/app-fixture.js';
import {
  createService,
  deploy,
  stopStage,
  startStage,
  waitForFinished,
  type Stage,
} from '../test/support/deploy-helpers.js';
import { freePort } from '../test/support/ports.js';
import { GitServer } from '../test/support/git-server.js';
import { sleep } from '../test/support/wait.js';

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);

function rssMb(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0);
  return Math.round(kb / 102.4) / 10;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? NaN;
}

async function timedDeploy(stage: Stage, serviceId: string, cache: 'use-existing' | 'none') {
  const started = Date.now();
  const queued = await deploy(stage, serviceId, cache);
  const done = await waitForFinished(stage, queued, 120_000);
  if (done.deployment.status !== 'succeeded')
    throw new Error(`deployment ${done.deployment.status}: ${done.deployment.error}`);
  return {
    totalMs: Date.now() - started,
    queueToStartMs:
      Date.parse(done.deployment.startedAt ?? '') - Date.parse(done.deployment.createdAt),
    unavailableMs: (done.deployment as { unavailableMs?: number }).unavailableMs ?? NaN,
  };
}

async function main(): Promise<void> {
  const git = await GitServer.start();
  const stage = await startStage('bench');
  try {
    await sleep(2_000);
    const idle = {
      agent: rssMb(stage.agent.process.pid),
      controlPlane: rssMb(stage.cp.process.pid),
    };
    const repo = await git.createRepo('bench-app');
    await repo.commit(appFiles({ version: 'v1', buildSleepSeconds: 2 }), 'bench');
    const port = await freePort();
    const service = await createService(stage, {
      name: 'bench',
      source: { type: 'git', repository: repo.url, ref: 'main' },
      ports: [{ container: 8080, host: port }],
      healthcheck: { type: 'http', port: 8080, path: '/', timeoutSeconds: 30 },
    });
    const first = await timedDeploy(stage, service.id, 'use-existing');
    const cached: number[] = [];
    const cold: number[] = [];
    const unavailable: number[] = [];
    const queueLatency: number[] = [];
    for (let i = 0; i < ROUNDS; i += 1) {
      const a = await timedDeploy(stage, service.id, 'use-existing');
      const b = await timedDeploy(stage, service.id, 'none');
      cached.push(a.totalMs);
      cold.push(b.totalMs);
      unavailable.push(a.unavailableMs, b.unavailableMs);
      queueLatency.push(a.queueToStartMs, b.queueToStartMs);
    }
    const busy = {
      agent: rssMb(stage.agent.process.pid),
      controlPlane: rssMb(stage.cp.process.pid),
    };
    const rows: [string, string][] = [
      ['first deploy (cold build, 2 s RUN step)', `${first.totalMs} ms`],
      [`redeploy, use existing cache (median of ${ROUNDS})`, `${median(cached)} ms`],
      [`redeploy, without cache (median of ${ROUNDS})`, `${median(cold)} ms`],
      ['ratio without cache / with cache', `${(median(cold) / median(cached)).toFixed(1)}x`],
      ['unavailable during the switch (median)', `${median(unavailable)} ms`],
      ['queued to started (median)', `${median(queueLatency)} ms`],
      ['agent RSS idle / after deploys', `${idle.agent} MB / ${busy.agent} MB`],
      [
        'control plane RSS idle / after deploys',
        `${idle.controlPlane} MB / ${busy.controlPlane} MB`,
      ],
    ];
    const width = Math.max(...rows.map(([k]) => k.length));
    console.log('\nBerth deploy benchmark');
    for (const [k, v] of rows) console.log(`  ${k.padEnd(width)}  ${v}`);
  } finally {
    await stopStage(stage);
    await git.stop();
  }
}

await main();
