// Fleet benchmark: one real control plane (control-plane/dist/main.js) and thousands of simulated
// agents speaking the real wire protocol from several child processes. Prints, at each fleet size,
// the connect rate, memory, idle CPU, heartbeat round trips, the first servers page and the time
// for the whole fleet to come back after a control-plane restart, plus the simulator's own CPU.
//
//   pnpm build && pnpm bench:fleet
//   BERTH_FLEET_SIZES=200,500 BERTH_FLEET_IDLE_S=10 pnpm bench:fleet   # a quick run
import { mkdtemp, rm } from 'node:fs/promises';
import { readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { raiseFileLimit, SimFleet } from './fleet/sim-fleet.js';
import { ControlPlaneProcess } from './store/cp-process.js';
import { formatMs, markdownTable, percentile } from './store/figures.js';
import { HttpProbe } from './store/http-probe.js';

const SIZES = (process.env.BERTH_FLEET_SIZES ?? '1000,5000,10000').split(',').map(Number);
const IDLE_S = Number(process.env.BERTH_FLEET_IDLE_S ?? 30);
const CHILDREN = Number(process.env.BERTH_FLEET_CHILDREN ?? 4);
const HEARTBEAT_MS = 5000;
const PORT = Number(process.env.BERTH_FLEET_PORT ?? 18_480);
const TOKEN = 'fleet-bench-admin-token-0123456789';
const RECONNECT_TIMEOUT_MS = 180_000;
/** Clock ticks per second of /proc/<pid>/stat times (CLK_TCK on Linux). */
const CLK_TCK = 100;

interface Row {
  agents: number;
  connectPerS: number;
  enrollP50Ms: number;
  rssMb: number;
  kbPerAgent: number;
  idleCpuPct: number;
  rttP50Ms: number;
  rttP99Ms: number;
  pageMs: number;
  fullPageMs: number;
  reconnectS: number;
  reconnectReadyS: number;
  timeouts: number;
  deferred: number;
  simCpuPct: number;
}

/** CPU time of a process so far, in seconds: user, system (kernel, e.g. socket I/O) and both. */
function cpuSeconds(pid: number): { user: number; system: number; total: number } {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const user = Number(fields[11]) / CLK_TCK;
  const system = Number(fields[12]) / CLK_TCK;
  return { user, system, total: user + system };
}

function loadAverage(): string {
  return readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
}

async function startCp(dataDir: string) {
  return ControlPlaneProcess.start({
    dataDir,
    port: PORT,
    token: TOKEN,
    env: {
      BERTH_RESTART_GRACE_MS: '60000',
      BERTH_HEARTBEAT_INTERVAL_MS: String(HEARTBEAT_MS),
    },
    // e.g. BERTH_FLEET_CP_NODE_ARGS='--cpu-prof --cpu-prof-dir=/tmp/prof'
    nodeArgs: (process.env.BERTH_FLEET_CP_NODE_ARGS ?? '').split(' ').filter(Boolean),
    onSpawn: raiseFileLimit,
  });
}

async function main(): Promise<void> {
  const dataDir = await mkdtemp(join(tmpdir(), 'berth-fleet-bench-'));
  let { cp } = await startCp(dataDir);
  const probe = () => new HttpProbe(cp.url, TOKEN);
  await delay(1000);
  const baseRssMb = cp.memory().rssMb;
  const fleet = await SimFleet.start({
    children: CHILDREN,
    cpUrl: cp.url,
    heartbeatMs: HEARTBEAT_MS,
  });
  const rows: Row[] = [];
  console.log(
    `fleet benchmark: sizes ${SIZES.join(', ')}, ${CHILDREN} simulator processes, ` +
      `idle window ${IDLE_S} s, heartbeat ${HEARTBEAT_MS} ms; load average ${loadAverage()}`,
  );
  try {
    for (const size of SIZES) {
      const have = (await fleet.stats()).agents;
      // Enrollment: join token plus enroll, 8 at a time per child.
      const latencies = await fleet.enroll(size - have, TOKEN);
      const enrollP50Ms = percentile(latencies.slice(-Math.min(500, latencies.length)), 0.5);
      console.log(
        `[${size}] enrolled ${latencies.length} more; enroll p50 of the last ones ${formatMs(enrollP50Ms)} ms`,
      );

      const connectStarted = performance.now();
      await fleet.connect();
      await fleet.allWelcomed(RECONNECT_TIMEOUT_MS);
      const connectMs = performance.now() - connectStarted;
      const connectPerS = ((size - have) / connectMs) * 1000;
      console.log(`[${size}] ${size - have} connected in ${formatMs(connectMs)} ms`);

      // Let the heartbeat phases spread, then measure a quiet window.
      await delay(HEARTBEAT_MS + 1000);
      await fleet.stats(true);
      const cpuBefore = cpuSeconds(cp.pid);
      const simBefore = (await fleet.stats()).cpuMicros;
      const windowStarted = performance.now();
      await delay(IDLE_S * 1000);
      const windowS = (performance.now() - windowStarted) / 1000;
      const cpuAfter = cpuSeconds(cp.pid);
      const idleCpuPct = ((cpuAfter.total - cpuBefore.total) / windowS) * 100;
      const systemPct = ((cpuAfter.system - cpuBefore.system) / windowS) * 100;
      const idle = await fleet.stats(true);
      const simCpuPct = ((idle.cpuMicros - simBefore) / 1e6 / windowS) * 100;
      const rssMb = cp.memory().rssMb;
      const kbPerAgent = ((rssMb - baseRssMb) * 1024) / size;
      console.log(
        `[${size}] idle: CP ${idleCpuPct.toFixed(1)}% of a core (${systemPct.toFixed(1)}% in the kernel), RSS ${rssMb.toFixed(0)} MB; ` +
          `${idle.rtts.length} heartbeats; simulator ${simCpuPct.toFixed(1)}%`,
      );

      // The dashboard's first page (50 servers), and the default answer (up to 1,000).
      const page = await probe().latency(
        { path: '/api/v1/servers?limit=50', status: 200 },
        { warmup: 3, samples: 20 },
      );
      const fullPage = await probe().latency(
        { path: '/api/v1/servers', status: 200 },
        { warmup: 3, samples: 20 },
      );

      // Restart: SIGTERM, start again on the same data dir, wait for every agent.
      const before = await fleet.stats();
      const restartStarted = performance.now();
      const stopMs = await cp.stop();
      const started = await startCp(dataDir);
      cp = started.cp;
      console.log(
        `[${size}] restart: the stop took ${formatMs(stopMs)} ms, the start ${formatMs(started.readyMs)} ms`,
      );
      const readyAt = performance.now();
      await fleet.allWelcomed(RECONNECT_TIMEOUT_MS);
      const doneAt = performance.now();
      const after = await fleet.stats();
      rows.push({
        agents: size,
        connectPerS,
        enrollP50Ms,
        rssMb,
        kbPerAgent,
        idleCpuPct,
        rttP50Ms: percentile(idle.rtts, 0.5),
        rttP99Ms: percentile(idle.rtts, 0.99),
        pageMs: page.p50Ms,
        fullPageMs: fullPage.p50Ms,
        reconnectS: (doneAt - restartStarted) / 1000,
        reconnectReadyS: (doneAt - readyAt) / 1000,
        timeouts: after.timeouts - before.timeouts,
        deferred: after.deferred - before.deferred,
        simCpuPct,
      });
      console.log(
        `[${size}] restart: all back ${((doneAt - restartStarted) / 1000).toFixed(1)} s after the stop ` +
          `(${((doneAt - readyAt) / 1000).toFixed(1)} s after ready); ` +
          `${after.timeouts - before.timeouts} handshake timeouts, ${after.deferred - before.deferred} told to come back later`,
      );
    }
  } finally {
    await fleet.stop();
    await cp.stop();
    await rm(dataDir, { recursive: true, force: true });
  }
  console.log(`\nload average at the end: ${loadAverage()}\n`);
  console.log(
    markdownTable(
      [
        'agents',
        'connect rate',
        'enroll p50',
        'CP RSS',
        'per agent',
        'idle CPU',
        'heartbeat p50 / p99',
        'first servers page (50 / 1,000)',
        'all back after restart',
        'handshake timeouts',
        'simulator CPU',
      ],
      rows.map((r) => [
        r.agents.toLocaleString('en'),
        `${Math.round(r.connectPerS)}/s`,
        `${formatMs(r.enrollP50Ms)} ms`,
        `${Math.round(r.rssMb)} MB`,
        `${r.kbPerAgent.toFixed(1)} KB`,
        `${r.idleCpuPct.toFixed(1)}%`,
        `${formatMs(r.rttP50Ms)} / ${formatMs(r.rttP99Ms)} ms`,
        `${formatMs(r.pageMs)} / ${formatMs(r.fullPageMs)} ms`,
        `${r.reconnectS.toFixed(1)} s (${r.reconnectReadyS.toFixed(1)} s after ready, ${r.deferred} deferred)`,
        String(r.timeouts),
        `${r.simCpuPct.toFixed(0)}%`,
      ]),
    ),
  );
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
