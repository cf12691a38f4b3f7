import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ActionResponse, Deployment, Job } from '@berth/protocol';
import { api } from '../support/api.js';
import { isFinal } from '../support/deploy-helpers.js';
import { readLog } from '../support/deploy-logs.js';
import {
  restartControlPlane,
  startControlPlane,
  stopAll,
  type ControlPlane,
} from '../support/processes.js';
import { ProtocolAgent } from '../support/protocol-agent.js';
import { enrollBareServer } from '../support/raw-agent.js';
import { sleep, waitFor } from '../support/wait.js';

const CYCLES = 30;
const SERVICES = 4;
/** Concurrent HTTP clients during a storm. */
const CLIENTS = 6;
/** Requests one storm may send at most. */
const MAX_REQUESTS = 30;
const SETTLE_TIMEOUT_MS = 20_000;
const HISTORY_PAGE = 100;

/** mulberry32: a seeded generator, so a failure names the seed of its run. */
function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

async function mapLimit<T, R>(items: T[], limit: number, fn: (item: T) => Promise<R>) {
  const results: R[] = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const index = next++;
      results[index] = await fn(items[index]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}

/** Every id that got a 202, with the service it belongs to and the cycle it was answered in. */
interface Accepted {
  jobs: Map<string, { serviceId: string; cycle: number }>;
  deployments: Map<string, { serviceId: string; cycle: number }>;
}

interface StormOptions {
  cp: ControlPlane;
  serviceIds: string[];
  random: () => number;
  cycle: number;
  accepted: Accepted;
  /** Answers other than 202 and 409, which a storm must never get. */
  unexpected: string[];
}

/**
 * Fires deploys, cancels and restarts from several clients for 0.5–1.5 s (at most
 * MAX_REQUESTS), and SIGKILLs the control plane at a random moment within that time.
 */
async function stormThenKill(options: StormOptions): Promise<{ sent: number; accepted: number }> {
  const { cp, serviceIds, random, accepted } = options;
  const durationMs = 500 + random() * 1_000;
  const killAtMs = durationMs * (0.15 + random() * 0.8);
  const started = Date.now();
  const killer = setTimeout(() => cp.process.kill('SIGKILL'), killAtMs);
  let sent = 0;
  let answered = 0;
  const pick = <T>(list: T[]): T => list[Math.floor(random() * list.length)]!;
  const recentDeployments = [...accepted.deployments.keys()].slice(-40);

  const record = (body: ActionResponse) => {
    const serviceId = body.job.serviceId;
    accepted.jobs.set(body.job.id, { serviceId, cycle: options.cycle });
    if (body.deployment) {
      accepted.deployments.set(body.deployment.id, { serviceId, cycle: options.cycle });
      recentDeployments.push(body.deployment.id);
    }
    answered += 1;
  };

  const client = async () => {
    while (Date.now() - started < durationMs && sent < MAX_REQUESTS && cp.process.alive) {
      sent += 1;
      const roll = random();
      let path: string;
      let body: unknown;
      if (roll < 0.5 || recentDeployments.length === 0) {
        path = `/api/v1/services/${pick(serviceIds)}/deployments`;
        body = { cache: random() < 0.5 ? 'use-existing' : 'none' };
      } else if (roll < 0.8) {
        path = `/api/v1/deployments/${pick(recentDeployments)}/cancel`;
      } else {
        path = `/api/v1/services/${pick(serviceIds)}/restart`;
      }
      try {
        const res = await api<ActionResponse>(cp, 'POST', path, body);
        if (res.status === 202) record(res.body);
        else if (res.status !== 409)
          options.unexpected.push(`POST ${path}: ${res.status} ${JSON.stringify(res.body)}`);
      } catch {
        // the request met the kill: its outcome is unknown, so it is not recorded
      }
    }
  };
  await Promise.all(Array.from({ length: CLIENTS }, client));
  await cp.process.exited;
  clearTimeout(killer);
  return { sent, accepted: answered };
}

/** A service's whole history, newest first, paged with `before`. */
async function history(cp: ControlPlane, serviceId: string): Promise<Deployment[]> {
  const all: Deployment[] = [];
  let before: string | undefined;
  for (let page = 0; page < 100; page += 1) {
    const query = `limit=${HISTORY_PAGE}${before ? `&before=${before}` : ''}`;
    const res = await api<Deployment[]>(
      cp,
      'GET',
      `/api/v1/services/${serviceId}/deployments?${query}`,
    );
    if (res.status !== 200) throw new Error(`history of ${serviceId}: ${res.status}`);
    all.push(...res.body);
    if (res.body.length < HISTORY_PAGE) return all;
    before = res.body.at(-1)!.id;
  }
  throw new Error(`history of ${serviceId} has more than 100 pages`);
}

function duplicates<T>(values: T[]): T[] {
  const seen = new Set<T>();
  return [...new Set(values.filter((v) => seen.has(v) || !seen.add(v)))];
}

describe('SIGKILL of the control plane during a storm of deploys, cancels and finishes', () => {
  const seed = Number(process.env.BERTH_STORM_SEED ?? Date.now() % 2 ** 31);
  const random = seededRandom(seed);
  const token = `storm-${seed}`;
  let cp: ControlPlane;
  let agent: ProtocolAgent;
  const serviceIds: string[] = [];

  beforeAll(async () => {
    cp = await startControlPlane({
      env: { BERTH_ADMIN_TOKEN: token, BERTH_MAX_PARALLEL_JOBS: String(SERVICES) },
    });
    const identity = await enrollBareServer(cp, 'storm');
    agent = new ProtocolAgent(cp, identity, { jobMs: () => 20 + random() * 180 });
    agent.start();
    await waitFor('the fake agent to connect', () => agent.connected);
    const project = await api<{ id: string }>(cp, 'POST', '/api/v1/projects', { name: 'storm' });
    const environment = await api<{ id: string }>(
      cp,
      'POST',
      `/api/v1/projects/${project.body.id}/environments`,
      { name: 'production', serverId: identity.agentId },
    );
    for (let i = 0; i < SERVICES; i += 1) {
      const service = await api<{ id: string }>(
        cp,
        'POST',
        `/api/v1/environments/${environment.body.id}/services`,
        {
          name: `svc-${i}`,
          source: { type: 'image', image: `127.0.0.1:5000/berth-e2e/storm-${i}:latest` },
        },
      );
      expect(service.status).toBe(201);
      serviceIds.push(service.body.id);
    }
  });
  afterAll(async () => {
    await agent?.stop();
    await stopAll();
  });

  it(`keeps every accepted job and deployment, unique history and no stuck job through ${CYCLES} kills`, async () => {
    const accepted: Accepted = { jobs: new Map(), deployments: new Map() };
    const unexpected: string[] = [];
    let sent = 0;
    /** Cycles whose kill left work unfinished (jobs queued or running): the ones that test anything. */
    let killedMidWork = 0;
    const timeMs = { storm: 0, restart: 0, check: 0, settle: 0 };
    let mark = Date.now();
    const lap = (what: keyof typeof timeMs) => {
      timeMs[what] += Date.now() - mark;
      mark = Date.now();
    };
    for (let cycle = 1; cycle <= CYCLES; cycle += 1) {
      const where = `cycle ${cycle} of ${CYCLES} (BERTH_STORM_SEED=${seed})`;
      const storm = await stormThenKill({ cp, serviceIds, random, cycle, accepted, unexpected });
      sent += storm.sent;
      expect(unexpected.slice(0, 10), `answers other than 202 or 409, ${where}`).toEqual([]);
      lap('storm');
      const welcomes = agent.welcomes;
      cp = await restartControlPlane(cp);
      const reconnected = () => agent.welcomes > welcomes && agent.connected;
      await waitFor('the fake agent to reconnect', reconnected, {
        timeoutMs: 15_000,
        intervalMs: 20,
      }).catch((err: Error) => {
        const close = JSON.stringify(agent.lastClose);
        const error = JSON.stringify(agent.errors.at(-1) ?? null);
        throw new Error(
          `${err.message} after the restart, ${where}; last close ${close}, last error ${error}`,
        );
      });
      lap('restart');

      // Everything that was answered 202 (or assigned to the agent) is still there.
      const jobIds = [...new Set([...accepted.jobs.keys(), ...agent.jobs.keys()])];
      const paths = [
        ...jobIds.map((id) => `/api/v1/jobs/${id}`),
        ...[...accepted.deployments.keys()].map((id) => `/api/v1/deployments/${id}`),
      ];
      const answers = await mapLimit(paths, 24, async (path) => ({
        path,
        res: await api<Job | Deployment>(cp, 'GET', path),
      }));
      const gone = answers
        .filter((a) => a.res.status !== 200)
        .map((a) => {
          const id = a.path.split('/').at(-1)!;
          const answered = accepted.jobs.get(id) ?? accepted.deployments.get(id);
          const why = answered
            ? `answered 202 in cycle ${answered.cycle}`
            : 'assigned to the agent';
          return `${a.path} (${why}): ${a.res.status}`;
        });
      expect(gone, `records gone after the restart, ${where}`).toEqual([]);
      const jobs = answers
        .filter((a) => a.path.startsWith('/api/v1/jobs/'))
        .map((a) => ({ id: a.path.split('/').at(-1)!, job: a.res.body as Job }));

      // Each service's history lists them all, once each, under distinct numbers.
      for (const serviceId of serviceIds) {
        const list = await history(cp, serviceId);
        expect(
          duplicates(list.map((d) => d.id)),
          `duplicate ids in ${serviceId}, ${where}`,
        ).toEqual([]);
        expect(
          duplicates(list.map((d) => d.number)),
          `duplicate numbers in ${serviceId}, ${where}`,
        ).toEqual([]);
        const listed = new Set(list.map((d) => d.id));
        const missing = [...accepted.deployments]
          .filter(([id, a]) => a.serviceId === serviceId && !listed.has(id))
          .map(([id]) => id);
        expect(
          missing,
          `accepted deployments missing from ${serviceId}'s history, ${where}`,
        ).toEqual([]);
      }

      // Then it settles: nothing left running or queued while the agent is connected.
      const pending = new Set(jobs.filter((j) => !isFinal(j.job.status)).map((j) => j.id));
      if (pending.size > 0) killedMidWork += 1;
      lap('check');
      await settle({ cp, agent, serviceIds, pending, where });
      lap('settle');
    }
    const redelivered = [...agent.jobs.values()].filter((j) => j.assigned > 1).length;
    console.info(
      `crash-kill (BERTH_STORM_SEED=${seed}): ${CYCLES} kills, ${killedMidWork} with work in flight; ` +
        `${sent} requests, ${accepted.jobs.size} jobs and ${accepted.deployments.size} deployments answered 202, ` +
        `${agent.jobs.size} jobs run by the agent (${redelivered} delivered more than once), ` +
        `${agent.errors.length} error frames from the control plane; ` +
        `ms spent: ${JSON.stringify(timeMs)}`,
    );

    expect(agent.badFrames).toEqual([]);
    expect(
      agent.errors.slice(0, 10).map((e) => `${e.code}: ${e.message}`),
      'error frames the control plane sent the fake agent',
    ).toEqual([]);
    expect(agent.jobs.size).toBeGreaterThan(CYCLES);
    expect(sent).toBeGreaterThan(CYCLES * 5);
    // most kills must land while jobs are queued or running, or the storm tests nothing
    expect(killedMidWork).toBeGreaterThan(CYCLES / 2);

    // Every outcome the fake agent reported is stored, and so is every line it sent.
    const unconfirmed = [...agent.jobs.values()].filter((j) => !j.confirmed);
    expect(unconfirmed.map((j) => `${j.spec.jobId} ${j.status}`)).toEqual([]);
    const stage = { cp };
    const deployJobs = [...agent.jobs.values()].filter((j) => j.spec.kind === 'deploy');
    const badLogs = (
      await mapLimit(deployJobs, 16, async (job) => {
        const lines = await readLog(stage, job.spec.deployment!.id);
        const seqs = lines.map((l) => l.seq).join(',');
        return seqs === job.lines.map((l) => l.seq).join(',') ? null : `${job.spec.jobId}: ${seqs}`;
      })
    ).filter((x) => x !== null);
    expect(badLogs.slice(0, 10), 'deployment logs that are not exactly the lines sent').toEqual([]);
  }, 240_000);
});

/**
 * Waits until every pending job and every deployment in the histories has
 * ended, and the fake agent runs nothing; fails naming what is stuck.
 */
async function settle(options: {
  cp: ControlPlane;
  agent: ProtocolAgent;
  serviceIds: string[];
  pending: Set<string>;
  where: string;
}): Promise<void> {
  const { cp, agent, pending } = options;
  const deadline = Date.now() + SETTLE_TIMEOUT_MS;
  let stuck: string[] = [];
  for (;;) {
    for (const id of agent.jobs.keys()) {
      if (agent.jobs.get(id)!.status === 'running') pending.add(id);
    }
    const jobs = await mapLimit([...pending], 16, async (id) => ({
      id,
      job: (await api<Job>(cp, 'GET', `/api/v1/jobs/${id}`)).body,
    }));
    for (const { id, job } of jobs) if (isFinal(job.status)) pending.delete(id);
    const open: Deployment[] = [];
    for (const serviceId of options.serviceIds) {
      open.push(...(await history(cp, serviceId)).filter((d) => !isFinal(d.status)));
    }
    const running = agent.runningJobIds();
    if (pending.size === 0 && open.length === 0 && running.length === 0 && agent.connected) return;
    stuck = [
      ...jobs
        .filter(({ job }) => !isFinal(job.status))
        .map(({ id, job }) => {
          const held = agent.jobs.get(id);
          return `job ${id} (${job.kind}) is ${job.status}; the agent ${held ? `has it ${held.status}` : 'never got it'}`;
        }),
      ...open.map((d) => `deployment ${d.id} #${d.number} of ${d.serviceId} is ${d.status}`),
      ...(running.length > 0 ? [`the agent still runs ${running.join(', ')}`] : []),
      ...(agent.connected ? [] : ['the agent is not connected']),
    ];
    if (Date.now() > deadline) break;
    await sleep(200);
  }
  throw new Error(
    `not settled ${SETTLE_TIMEOUT_MS} ms after the restart, ${options.where}:\n${stuck.slice(0, 20).join('\n')}`,
  );
}
