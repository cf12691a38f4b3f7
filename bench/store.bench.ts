// Measures how the control plane's history store holds up as the history grows: a data dir is
// seeded through the store interface, then the real control plane starts on it and answers the
// calls a user makes. Prints figures; asserts nothing.
//
//   pnpm bench:store                          (10k, 100k and 1M deployments)
//   pnpm bench:store --scales 10000,100000    (a subset)
import { execFileSync } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '../test/support/ports.js';
import { ControlPlaneProcess } from './store/cp-process.js';
import {
  diskUsage,
  formatCount,
  formatMb,
  formatMs,
  markdownTable,
  type Memory,
} from './store/figures.js';
import { HttpProbe, type Latency } from './store/http-probe.js';
import { seedDataDir, type SeedResult } from './store/seed.js';

const ALL_SCALES = [10_000, 100_000, 1_000_000];
const LAYOUTS = [
  { name: 'one service', services: 1 },
  { name: '1,000 services', services: 1_000 },
] as const;
type Layout = (typeof LAYOUTS)[number];

// Deployments per seeding batch (each is an enqueue and a finish, committed together). Larger
// batches seed no faster here, but leave LMDB large free-page records that slow the next few
// hundred single commits, which would then be measured instead of the store's steady state.
const SEED_CHUNK = 500;
const QUEUED_TAIL = 3;
const WARMUP = 20;
const SAMPLES = 200;
const PAGE = 20;
const ADMIN_TOKEN = 'bench-admin-token-0123456789abcdef';

interface Run {
  scale: number;
  layout: Layout;
  seed: SeedResult;
  deepBefore: number;
  restartMs: number;
  healthz: Latency;
  service: Latency;
  firstPage: Latency;
  deepPage: Latency;
  oldestPage: Latency;
  enqueue: Latency;
  memory: Memory;
  diskBytes: { apparent: number; allocated: number };
  shutdownMs: number;
  /** The machine's 1-minute load average when the calls were measured. */
  load: number;
  notes: string[];
}

/** What is running now, so an interrupt can stop it (by its PID) and remove its data. */
const current: { cp?: ControlPlaneProcess; dir?: string } = {};

function parseScales(argv: readonly string[]): number[] {
  const index = argv.findIndex((arg) => arg === '--scales' || arg.startsWith('--scales='));
  if (index === -1) return ALL_SCALES;
  const arg = argv[index]!;
  const list = arg.includes('=') ? arg.slice(arg.indexOf('=') + 1) : (argv[index + 1] ?? '');
  const scales = list.split(',').map((item) => {
    const match = /^(\d+(?:\.\d+)?)([kKmM]?)$/.exec(item.trim());
    const unit = match?.[2]?.toLowerCase();
    const value = match ? Number(match[1]) * (unit === 'k' ? 1e3 : unit === 'm' ? 1e6 : 1) : NaN;
    if (!Number.isInteger(value) || value < 1_000) {
      throw new Error(`--scales: "${item}" is not a whole number of deployments of at least 1000`);
    }
    return value;
  });
  return [...new Set(scales)].sort((a, b) => a - b);
}

function seedProgress(label: string, total: number) {
  let shown = 0;
  return (done: number) => {
    const tenth = Math.floor((done / total) * 10);
    if (tenth <= shown && done !== total) return;
    shown = tenth;
    process.stderr.write(`  seeding ${label}: ${formatCount(done)} of ${formatCount(total)}\n`);
  };
}

/** What the first element of a page says, to check that the page is the one asked for. */
type PageItem = { number: number };

async function measure(cp: ControlPlaneProcess, serviceId: string, deepBefore: number) {
  const probe = new HttpProbe(cp.url, cp.token);
  const history = `/api/v1/services/${serviceId}/deployments`;
  const notes: string[] = [];
  const check = async (path: string, expectFirst: number) => {
    const { json } = await probe.call<PageItem[]>({ path, status: 200 });
    const first = json[0]?.number;
    if (first !== expectFirst) {
      notes.push(`${path} starts at #${first}, expected #${expectFirst}`);
    }
  };
  await check(`${history}?limit=${PAGE}&before=${deepBefore}`, deepBefore - 1);
  const options = { warmup: WARMUP, samples: SAMPLES };
  const healthz = await probe.latency({ path: '/healthz', status: 200 }, options);
  const service = await probe.latency(
    { path: `/api/v1/services/${serviceId}`, status: 200 },
    options,
  );
  const firstPage = await probe.latency({ path: `${history}?limit=${PAGE}`, status: 200 }, options);
  const deepPage = await probe.latency(
    { path: `${history}?limit=${PAGE}&before=${deepBefore}`, status: 200 },
    options,
  );
  const oldestPage = await probe.latency(
    { path: `${history}?limit=${PAGE}&before=${PAGE + 1}`, status: 200 },
    options,
  );
  const enqueue = await probe.latency(
    { method: 'POST', path: history, body: { cache: 'use-existing' }, status: 202 },
    options,
  );
  return { healthz, service, firstPage, deepPage, oldestPage, enqueue, notes };
}

async function runOne(scale: number, layout: Layout): Promise<Run> {
  const dir = await mkdtemp(join(tmpdir(), 'berth-store-bench-'));
  current.dir = dir;
  try {
    const label = `${formatCount(scale)} × ${layout.name}`;
    const seed = await seedDataDir(
      dir,
      { deployments: scale, services: layout.services, queuedTail: QUEUED_TAIL, chunk: SEED_CHUNK },
      seedProgress(label, scale),
    );
    const serviceId = seed.serviceIds[Math.floor(seed.serviceIds.length / 2)]!;
    const deepBefore = Math.max(2, Math.floor(seed.perService / 2));
    const port = await freePort();
    const { cp, readyMs } = await ControlPlaneProcess.start({
      dataDir: dir,
      port,
      token: ADMIN_TOKEN,
    });
    current.cp = cp;
    let figures: Awaited<ReturnType<typeof measure>>;
    let memory: Memory;
    let shutdownMs = 0;
    let load = NaN;
    try {
      figures = await measure(cp, serviceId, deepBefore);
      memory = cp.memory();
      load = loadavg()[0]!;
    } finally {
      shutdownMs = await cp.stop();
      current.cp = undefined;
    }
    const complaints = cp.output
      .split('\n')
      .filter((line) => /warn|error|fail/i.test(line))
      .slice(0, 5);
    const diskBytes = await diskUsage(dir);
    return {
      scale,
      layout,
      seed,
      deepBefore,
      restartMs: readyMs,
      ...figures,
      notes: [...figures.notes, ...complaints.map((line) => `control plane: ${line}`)],
      memory,
      diskBytes,
      shutdownMs,
      load,
    };
  } finally {
    await rm(dir, { recursive: true, force: true });
    current.dir = undefined;
  }
}

/** How much a figure may grow from the smallest to the largest scale. */
const RATIO_TARGET = 2;

function latencyCell(l: Latency): string {
  return `${formatMs(l.p50Ms)} / ${formatMs(l.p99Ms)}`;
}

function printRun(run: Run): void {
  const { seed } = run;
  const rows: string[][] = [
    [
      'seeding (enqueue + finish, through the store)',
      `${seed.seconds.toFixed(1)} s, ${Math.round(seed.deploymentsPerSecond).toLocaleString('en-US')} deployments/s`,
      '',
    ],
    [
      'seeding: this process, peak anon / file-backed RSS',
      `${seed.peakAnonMb.toFixed(0)} MB / ${seed.peakFileMb.toFixed(0)} MB`,
      '',
    ],
    [
      'history seeded',
      `${seed.finished.toLocaleString('en-US')} finished, ${seed.queued} queued; ${seed.perService.toLocaleString('en-US')} per service`,
      '',
    ],
    ['restart (spawn → first 200 from /healthz)', `${formatMs(run.restartMs)} ms`, '≤ 3000 ms'],
    ['enqueue POST …/deployments, p50 / p99', `${latencyCell(run.enqueue)} ms`, '≤ 10 / ≤ 50 ms'],
    [
      `history first page (limit=${PAGE}), p50 / p99`,
      `${latencyCell(run.firstPage)} ms`,
      'p50 ≤ 5 ms',
    ],
    [
      `history deep page (before=${run.deepBefore}), p50 / p99`,
      `${latencyCell(run.deepPage)} ms`,
      'p50 ≤ 5 ms',
    ],
    [
      `history oldest page (before=${PAGE + 1}), p50 / p99`,
      `${latencyCell(run.oldestPage)} ms`,
      'p50 ≤ 5 ms',
    ],
    ['GET /api/v1/services/:id, p50 / p99', `${latencyCell(run.service)} ms`, ''],
    ['GET /healthz (HTTP and client baseline), p50 / p99', `${latencyCell(run.healthz)} ms`, ''],
    [
      'control plane RSS after the calls (anon + file-backed)',
      `${run.memory.rssMb.toFixed(1)} MB (${run.memory.anonMb.toFixed(1)} + ${run.memory.fileMb.toFixed(1)}), peak ${run.memory.peakMb.toFixed(1)} MB`,
      '≤ 150 MB',
    ],
    [
      'data dir (du -sb / allocated)',
      `${formatMb(run.diskBytes.apparent)} MB / ${formatMb(run.diskBytes.allocated)} MB`,
      '',
    ],
    ['shutdown (SIGTERM → exit)', `${formatMs(run.shutdownMs)} ms`, ''],
    [
      'machine load (1-min average) after the calls',
      `${run.load.toFixed(2)} on ${availableParallelism()} CPUs`,
      '',
    ],
  ];
  console.log(`\n### ${formatCount(run.scale)} deployments, ${run.layout.name}\n`);
  console.log(markdownTable(['figure', 'value', 'target'], rows));
  for (const note of run.notes) console.log(`\n> ${note}`);
}

interface SummaryFigure {
  name: string;
  target: string;
  value: (run: Run) => number;
  format: (value: number) => string;
  /** Whether the growth target applies; a size that grows with the data only shows its ratio. */
  scaleFree: boolean;
}

const ms = (name: string, target: string, value: (run: Run) => number): SummaryFigure => ({
  name,
  target,
  value,
  format: formatMs,
  scaleFree: true,
});

const SUMMARY: SummaryFigure[] = [
  ms('enqueue p50', '≤ 10 ms', (r) => r.enqueue.p50Ms),
  ms('enqueue p99', '≤ 50 ms', (r) => r.enqueue.p99Ms),
  ms('first page p50', '≤ 5 ms', (r) => r.firstPage.p50Ms),
  ms('deep page p50', '≤ 5 ms', (r) => r.deepPage.p50Ms),
  ms('oldest page p50', '≤ 5 ms', (r) => r.oldestPage.p50Ms),
  ms('GET service p50', '', (r) => r.service.p50Ms),
  ms('restart (ms)', '≤ 3000 ms', (r) => r.restartMs),
  {
    name: 'CP RSS (MB)',
    target: '≤ 150 MB',
    value: (r) => r.memory.rssMb,
    format: (v) => v.toFixed(1),
    scaleFree: true,
  },
  {
    name: 'CP anon memory (MB)',
    target: '',
    value: (r) => r.memory.anonMb,
    format: (v) => v.toFixed(1),
    scaleFree: true,
  },
  {
    name: 'data dir (MB)',
    target: '',
    value: (r) => r.diskBytes.apparent / (1024 * 1024),
    format: (v) => v.toFixed(1),
    scaleFree: false,
  },
  {
    name: 'data dir per deployment (KB)',
    target: '',
    value: (r) => r.diskBytes.apparent / 1024 / r.scale,
    format: (v) => v.toFixed(2),
    scaleFree: true,
  },
  {
    name: 'seeding (deployments/s)',
    target: '',
    value: (r) => r.seed.deploymentsPerSecond,
    format: (v) => Math.round(v).toLocaleString('en-US'),
    scaleFree: true,
  },
];

function printSummary(runs: readonly Run[], scales: readonly number[]): void {
  const [smallest] = scales;
  const largest = scales[scales.length - 1];
  console.log('\n## Summary (latencies in ms)\n');
  for (const layout of LAYOUTS) {
    const ofLayout = (scale: number | undefined) =>
      runs.find((r) => r.layout === layout && r.scale === scale);
    const ratioHeader =
      scales.length > 1
        ? [`${formatCount(largest!)} / ${formatCount(smallest!)} (target ≤ ${RATIO_TARGET}×)`]
        : [];
    const rows = SUMMARY.map((figure) => {
      const cells = scales.map((scale) => {
        const run = ofLayout(scale);
        return run ? figure.format(figure.value(run)) : 'error';
      });
      const low = ofLayout(smallest);
      const high = ofLayout(largest);
      const growth = low && high ? figure.value(high) / figure.value(low) : NaN;
      const shown = Number.isFinite(growth) ? `${growth.toFixed(2)}×` : 'n/a';
      const ratio =
        scales.length > 1 ? [figure.scaleFree ? shown : `(${shown}, grows with data)`] : [];
      return [figure.name, figure.target, ...cells, ...ratio];
    });
    console.log(`### ${layout.name}\n`);
    console.log(
      markdownTable(['figure', 'target', ...scales.map(formatCount), ...ratioHeader], rows),
    );
    console.log('');
  }
}

async function main(): Promise<void> {
  const scales = parseScales(process.argv.slice(2));
  process.on('SIGINT', () => {
    void (async () => {
      await current.cp?.stop();
      if (current.dir) await rm(current.dir, { recursive: true, force: true });
      process.exit(130);
    })();
  });
  console.log(`# Berth history store benchmark\n`);
  console.log('```');
  console.log(execFileSync('df', ['-h', tmpdir()], { encoding: 'utf8' }).trim());
  console.log('```');
  execFileSync('pnpm', ['--silent', 'build'], { stdio: ['ignore', 'ignore', 'inherit'] });
  console.log(
    `\nscales: ${scales.map(formatCount).join(', ')}; layouts: ${LAYOUTS.map((l) => l.name).join(', ')}; ` +
      `${SAMPLES} sequential samples per call after ${WARMUP} warm-up calls; node ${process.version}`,
  );
  const started = performance.now();
  const runs: Run[] = [];
  for (const scale of scales) {
    for (const layout of LAYOUTS) {
      try {
        const run = await runOne(scale, layout);
        runs.push(run);
        printRun(run);
      } catch (err) {
        console.log(`\n### ${formatCount(scale)} deployments, ${layout.name}\n`);
        console.log(`could not measure: ${err instanceof Error ? err.message : String(err)}`);
      }
    }
  }
  printSummary(runs, scales);
  console.log(`total time: ${((performance.now() - started) / 60_000).toFixed(1)} min`);
}

await main();
