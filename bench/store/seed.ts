// Fills a fresh data dir through the store's own interface, the way the queue writes it: each
// deployment is enqueued (job + deployment, numbered from the service's state), then most are
// started and finished with the queue's own transitions.
import { randomBytes } from 'node:crypto';
import { isoTime } from '../../control-plane/src/clock.js';
import { finishJob, startJob, type JobEnd } from '../../control-plane/src/queue/job-transitions.js';
import type { JobUnit, NewJob } from '../../control-plane/src/store/history.js';
import type {
  DeploymentRecord,
  JobRecord,
  ServiceRecord,
  ServiceState,
} from '../../control-plane/src/store/records.js';
import { openFileStore, type Store } from '../../control-plane/src/store/store.js';
import { readMemory } from './figures.js';

export const SERVER_ID = 'srv_bench';
/** The control plane's default BERTH_DEPLOY_TIMEOUT_MS. */
const DEPLOY_DEADLINE_MS = 30 * 60_000;
// The history ends now and spans less than the default log retention (90 days), so an hourly
// retention run that falls inside a measurement finds nothing to expire.
const HISTORY_SPAN_MS = 60 * 24 * 3_600_000;

export interface SeedPlan {
  deployments: number;
  services: number;
  /** The newest deployments overall stay queued, as if their server were busy. */
  queuedTail: number;
  /** Enqueues (and their finishes) issued in one event-loop turn, so LMDB commits them together. */
  chunk: number;
}

export interface SeedResult {
  serviceIds: string[];
  /** Deployments per service. */
  perService: number;
  seconds: number;
  deploymentsPerSecond: number;
  /** Highest anonymous memory of this process while seeding (heap and native), in MB. */
  peakAnonMb: number;
  /** Highest file-backed RSS while seeding (mostly LMDB's map: page cache), in MB. */
  peakFileMb: number;
  finished: number;
  queued: number;
}

// Random hex from a pool: one randomBytes call per many ids, in the same `prefix_<20 hex>` form
// as the control plane's newId, whose one randomBytes call per id took a tenth of the seeding CPU.
const POOL_BYTES = 64 * 1024;
let pool = randomBytes(POOL_BYTES);
let poolAt = 0;

function randomHex(bytes: number): string {
  if (poolAt + bytes > POOL_BYTES) {
    pool = randomBytes(POOL_BYTES);
    poolAt = 0;
  }
  poolAt += bytes;
  return pool.toString('hex', poolAt - bytes, poolAt);
}

function newId(prefix: string): string {
  return `${prefix}_${randomHex(10)}`;
}

/** A fixed mix by position: mostly successes, some failures, a few cancelled before starting. */
function outcomeOf(index: number): JobEnd['status'] {
  const roll = (index * 2_654_435_761) % 100;
  if (roll < 90) return 'succeeded';
  if (roll < 98) return 'failed';
  return 'cancelled';
}

async function createConfiguration(store: Store, services: number): Promise<ServiceRecord[]> {
  await store.db.mutate((data) => {
    data.servers.push({
      id: SERVER_ID,
      name: 'bench-node',
      // Online when the control plane stopped: its restart grace keeps it so, and queued jobs wait.
      status: 'online',
      lastSeenAt: isoTime(Date.now() - 60_000),
      agentVersion: '0.1.0',
      docker: { version: '20.10.24' },
      publicKey: 'MCowBQYDK2VwAyEAbench',
      createdAt: isoTime(Date.now() - HISTORY_SPAN_MS),
    });
  });
  const project = await store.projects.create({ name: 'bench' });
  const environment = await store.environments.create({
    projectId: project.id,
    name: 'production',
    serverId: SERVER_ID,
  });
  const created: ServiceRecord[] = [];
  // Concurrent creates fold into fewer db.json writes.
  for (let start = 0; start < services; start += 100) {
    const batch = Array.from({ length: Math.min(100, services - start) }, (_, k) =>
      store.services.create(environment.id, {
        name: `app-${start + k}`,
        source: {
          type: 'git',
          repository: `https://git.example.com/team/app-${start + k}.git`,
          ref: 'main',
          dockerfile: 'Dockerfile',
          context: '.',
        },
        ports: [{ container: 8080, host: 10_000 + ((start + k) % 50_000), hostIp: '0.0.0.0' }],
        env: {
          NODE_ENV: 'production',
          LOG_LEVEL: 'info',
          DATABASE_URL: `postgres://app:secret@db.internal:5432/app_${start + k}`,
          REDIS_URL: 'redis://cache.internal:6379/0',
          FEATURE_FLAGS: 'search,billing,new-dashboard',
        },
        healthcheck: { type: 'http', port: 8080, path: '/healthz', timeoutSeconds: 30 },
      }),
    );
    created.push(...(await Promise.all(batch)));
  }
  return created;
}

/** The job as actions.ts's newJob builds it, at a given time. */
function newDeployJob(service: ServiceRecord, createdMs: number): JobRecord {
  return {
    id: newId('job'),
    serviceId: service.id,
    kind: 'deploy',
    status: 'queued',
    createdAt: isoTime(createdMs),
    serverId: SERVER_ID,
    service: {
      id: service.id,
      name: service.name,
      source: service.source,
      ports: service.ports,
      env: service.env,
      healthcheck: service.healthcheck,
    },
    deadlineAt: isoTime(createdMs + DEPLOY_DEADLINE_MS),
  };
}

/** The build callback of actions.ts's queueDeployment (no rollback), with cache "use-existing". */
function deploymentBuild(service: ServiceRecord, job: JobRecord) {
  return (state: Readonly<ServiceState>): NewJob => {
    const deployment: DeploymentRecord = {
      id: newId('dep'),
      serviceId: service.id,
      number: state.lastDeploymentNumber + 1,
      status: 'queued',
      cache: 'use-existing',
      trigger: state.primaryAction === 'redeploy' ? 'redeploy' : 'deploy',
      source: service.source,
      createdAt: job.createdAt,
      jobId: job.id,
    };
    return { job: { ...job, deploymentId: deployment.id }, deployment };
  };
}

/** What an agent would report: started shortly after queueing, finished tens of seconds later. */
function finishChange(index: number, createdMs: number) {
  const status = outcomeOf(index);
  return (unit: JobUnit): boolean => {
    if (status === 'cancelled') {
      return finishJob(unit, { status, error: 'Cancelled before it started' }, createdMs + 800);
    }
    startJob(unit, createdMs + 1_500, DEPLOY_DEADLINE_MS);
    const commit = randomHex(20);
    const end: JobEnd =
      status === 'succeeded'
        ? {
            status,
            result: {
              commit,
              imageId: `sha256:${randomHex(32)}`,
              containerId: randomHex(32),
              unavailableMs: 40 + (index % 60),
            },
          }
        : {
            status,
            error: 'the health check failed: GET http://127.0.0.1:8080/healthz answered 502',
            result: { commit, imageId: `sha256:${randomHex(32)}` },
          };
    return finishJob(unit, end, createdMs + 30_000 + (index % 40) * 1_000);
  };
}

/**
 * Seeds `dir` and closes the store. Deployment i goes to service i mod services, so every
 * service's history interleaves in time like a team's. Memory stays bounded by `chunk`.
 */
export async function seedDataDir(
  dir: string,
  plan: SeedPlan,
  onProgress: (done: number) => void = () => undefined,
): Promise<SeedResult> {
  const store = await openFileStore(dir);
  try {
    const services = await createConfiguration(store, plan.services);
    const endMs = Date.now();
    const stepMs = HISTORY_SPAN_MS / plan.deployments;
    const firstMs = endMs - HISTORY_SPAN_MS;
    const finishUntil = plan.deployments - plan.queuedTail;
    let peakAnonMb = 0;
    let peakFileMb = 0;
    let finished = 0;
    const started = performance.now();
    for (let start = 0; start < plan.deployments; start += plan.chunk) {
      const end = Math.min(plan.deployments, start + plan.chunk);
      const writes: Promise<unknown>[] = [];
      const late: { jobId: string; change: (unit: JobUnit) => boolean }[] = [];
      for (let i = start; i < end; i += 1) {
        const service = services[i % services.length]!;
        const createdMs = Math.round(firstMs + i * stepMs);
        const job = newDeployJob(service, createdMs);
        writes.push(store.history.enqueue(service.id, deploymentBuild(service, job)));
        if (i >= finishUntil) continue;
        // Queued in the same turn, this transaction runs after the enqueue in the same batch.
        const change = finishChange(i, createdMs);
        writes.push(
          store.history.updateJob(job.id, change).then((changed) => {
            if (changed === undefined) late.push({ jobId: job.id, change });
            else if (changed) finished += 1;
          }),
        );
      }
      await Promise.all(writes);
      // Should the batch ever not keep call order, finish those jobs now.
      for (const { jobId, change } of late) {
        if (await store.history.updateJob(jobId, change)) finished += 1;
      }
      const memory = readMemory('self');
      peakAnonMb = Math.max(peakAnonMb, memory.anonMb);
      peakFileMb = Math.max(peakFileMb, memory.fileMb);
      onProgress(end);
    }
    const seconds = (performance.now() - started) / 1000;
    return {
      serviceIds: services.map((s) => s.id),
      perService: Math.floor(plan.deployments / plan.services),
      seconds,
      deploymentsPerSecond: plan.deployments / seconds,
      peakAnonMb,
      peakFileMb,
      finished,
      queued: plan.deployments - finished,
    };
  } finally {
    await store.close();
  }
}
