// What an idle agent costs: RSS and CPU while it is connected, with Docker reachable and no
// job running, under production heartbeat timing. Prints figures; asserts nothing.
//
//   pnpm build && pnpm bench:idle
//
// BENCH_IDLE_SECONDS (default 20) is the CPU sampling window; BENCH_AGENT_NODE_OPTIONS, if set,
// is the agent's NODE_OPTIONS (to compare V8 settings); BENCH_AGENT_ENV ("K=V,K=V") adds other
// variables to the agent's environment (to compare allocator settings such as MALLOC_ARENA_MAX).
import { stopStage, startStage } from '../test/support/deploy-helpers.js';
import { sleep } from '../test/support/wait.js';
import { cpuSeconds, rssMb } from './deploy/measure.js';

const WINDOW_S = Number(process.env.BENCH_IDLE_SECONDS ?? 20);
const STEP_MS = 5_000;

function extraEnv(list: string): Record<string, string> {
  const pairs = list
    .split(',')
    .filter(Boolean)
    .map((pair) => pair.split('='));
  return Object.fromEntries(pairs.map(([key, ...value]) => [key!, value.join('=')]));
}

async function main(): Promise<void> {
  const stage = await startStage('bench-idle', {
    controlPlaneEnv: { BERTH_HEARTBEAT_INTERVAL_MS: '5000', BERTH_LIVENESS_TIMEOUT_MS: '15000' },
    agentEnv: {
      ...extraEnv(process.env.BENCH_AGENT_ENV ?? ''),
      ...(process.env.BENCH_AGENT_NODE_OPTIONS
        ? { NODE_OPTIONS: process.env.BENCH_AGENT_NODE_OPTIONS }
        : {}),
    },
  });
  try {
    await sleep(3_000);
    const pid = stage.agent.process.pid;
    const cpuStart = cpuSeconds(pid);
    // CPU per 5 s step too: the first steps hold V8's one-off heap shrinking after start-up,
    // the later ones what the agent costs while nothing happens.
    const steps: number[] = [];
    let stepStart = cpuStart;
    for (let elapsedMs = 0; elapsedMs < WINDOW_S * 1_000; elapsedMs += STEP_MS) {
      const stepMs = Math.min(STEP_MS, WINDOW_S * 1_000 - elapsedMs);
      await sleep(stepMs);
      const now = cpuSeconds(pid);
      steps.push(((now - stepStart) / (stepMs / 1_000)) * 100);
      stepStart = now;
    }
    const cpuPercent = ((cpuSeconds(pid) - cpuStart) / WINDOW_S) * 100;
    const { rss, peak } = rssMb(pid);
    console.log('Idle agent (connected, Docker reachable, no job)');
    console.log(`  RSS                ${rss} MB (peak ${peak} MB)`);
    console.log(`  CPU over ${WINDOW_S} s      ${cpuPercent.toFixed(2)}% of a core`);
    console.log(`  CPU per 5 s        ${steps.map((p) => `${p.toFixed(1)}%`).join(' ')}`);
  } finally {
    await stopStage(stage);
  }
}

await main();
