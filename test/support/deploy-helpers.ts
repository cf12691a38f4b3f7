import type {
  ActionResponse,
  CacheMode,
  Deployment,
  ErrorBody,
  Job,
  Service,
} from '@berth/protocol';
import { api, createJoinToken, listServers, type ApiResponse } from './api.js';
import { removeEnvironmentNetwork, removeServiceArtifacts } from './berth-docker.js';
import { formatLog, readLog } from './deploy-logs.js';
import {
  startAgent,
  startControlPlane,
  stopAll,
  waitForAgentConnected,
  type Agent,
  type ControlPlane,
} from './processes.js';
import { waitFor } from './wait.js';

export type { ActionResponse, Deployment, ErrorBody, Job, Service };

/** A control plane, one enrolled agent and an environment on its server, shared by one test file. */
export interface Stage {
  cp: ControlPlane;
  /** Replace after restarting the agent. */
  agent: Agent;
  serverId: string;
  projectId: string;
  environmentId: string;
  /** Every service created through {@link createService}, for cleanup. */
  serviceIds: string[];
  /** Registry images the agent pulled, for cleanup. */
  pulledImages: string[];
}

export interface StageOptions {
  agentEnv?: Record<string, string>;
  /** Extra control-plane environment, e.g. a shorter timeout. */
  controlPlaneEnv?: Record<string, string>;
  /** The control-plane URL the agent is given, e.g. a proxy in front of it; `cp.url` by default. */
  agentControlPlaneUrl?: (cp: ControlPlane) => string | Promise<string>;
}

export async function startStage(name: string, options: StageOptions = {}): Promise<Stage> {
  const cp = await startControlPlane(
    options.controlPlaneEnv ? { env: options.controlPlaneEnv } : {},
  );
  const agent = await startAgent({
    controlPlaneUrl: options.agentControlPlaneUrl ? await options.agentControlPlaneUrl(cp) : cp.url,
    joinToken: await createJoinToken(cp),
    name,
    ...(options.agentEnv ? { env: options.agentEnv } : {}),
  });
  const { agentId } = await waitForAgentConnected(agent);
  if (!agentId) throw new Error('the connected agent reports no agentId');
  await waitFor('the server to show online', async () =>
    (await listServers(cp)).some((s) => s.id === agentId && s.status === 'online'),
  );
  const project = await expectStatus(
    api<{ id: string }>(cp, 'POST', '/api/v1/projects', { name }),
    201,
  );
  const environment = await expectStatus(
    api<{ id: string }>(cp, 'POST', `/api/v1/projects/${project.id}/environments`, {
      name: 'production',
      serverId: agentId,
    }),
    201,
  );
  return {
    cp,
    agent,
    serverId: agentId,
    projectId: project.id,
    environmentId: environment.id,
    serviceIds: [],
    pulledImages: [],
  };
}

/** For afterAll: stops the processes first, so nothing recreates what is then removed. */
export async function stopStage(stage: Stage | undefined): Promise<void> {
  await stopAll();
  if (stage) {
    await removeServiceArtifacts(stage.serviceIds, stage.pulledImages);
    await removeEnvironmentNetwork(stage.environmentId);
  }
}

async function expectStatus<T>(call: Promise<ApiResponse<T>>, status: number): Promise<T> {
  const res = await call;
  if (res.status !== status) {
    throw new Error(`expected HTTP ${status}, got ${res.status}: ${JSON.stringify(res.body)}`);
  }
  return res.body;
}

export type HealthcheckInput =
  | { type: 'running'; seconds?: number }
  | { type: 'http'; port: number; path?: string; timeoutSeconds?: number };

export type SourceInput =
  | {
      type: 'git';
      repository: string;
      ref: string;
      dockerfile?: string;
      context?: string;
      credentialId?: string;
    }
  | { type: 'image'; image: string }
  | { type: 'database'; engine: string; version?: string; image?: string };

export interface ServiceInput {
  name: string;
  source: SourceInput;
  ports?: { container: number; host: number; hostIp?: string }[];
  env?: Record<string, string>;
  healthcheck?: HealthcheckInput;
  deployOnPush?: boolean;
}

/** A health check that only waits 1 s, for tests where the kind of check does not matter. */
export const QUICK_CHECK: HealthcheckInput = { type: 'running', seconds: 1 };

export async function createService(stage: Stage, input: ServiceInput): Promise<Service> {
  const service = await expectStatus(
    api<Service>(stage.cp, 'POST', `/api/v1/environments/${stage.environmentId}/services`, input),
    201,
  );
  stage.serviceIds.push(service.id);
  return service;
}

export async function getService(stage: Stage, serviceId: string): Promise<Service> {
  return expectStatus(api<Service>(stage.cp, 'GET', `/api/v1/services/${serviceId}`), 200);
}

export async function patchService(
  stage: Stage,
  serviceId: string,
  patch: Partial<Omit<ServiceInput, 'name'>>,
): Promise<Service> {
  return expectStatus(api<Service>(stage.cp, 'PATCH', `/api/v1/services/${serviceId}`, patch), 200);
}

export async function getJob(stage: Pick<Stage, 'cp'>, jobId: string): Promise<Job> {
  return expectStatus(api<Job>(stage.cp, 'GET', `/api/v1/jobs/${jobId}`), 200);
}

export async function getDeployment(
  stage: Pick<Stage, 'cp'>,
  deploymentId: string,
): Promise<Deployment> {
  return expectStatus(api<Deployment>(stage.cp, 'GET', `/api/v1/deployments/${deploymentId}`), 200);
}

/** The service's deployment history, newest first. */
export async function listDeployments(stage: Stage, serviceId: string): Promise<Deployment[]> {
  return expectStatus(
    api<Deployment[]>(stage.cp, 'GET', `/api/v1/services/${serviceId}/deployments`),
    200,
  );
}

/** POSTs an action and returns the raw answer, for tests that assert the answer itself. */
export function postAction<T = ActionResponse>(
  stage: Stage,
  path: string,
  body?: unknown,
): Promise<ApiResponse<T>> {
  return api<T>(stage.cp, 'POST', `/api/v1${path}`, body);
}

/** Checks the contract's 202 `Added to queue` answer and returns it. */
function accepted(res: ApiResponse<ActionResponse>, what: string): ActionResponse {
  if (res.status !== 202 || res.body?.message !== 'Added to queue' || !res.body.job?.id) {
    throw new Error(
      `${what}: expected 202 Added to queue, got ${res.status} ${JSON.stringify(res.body)}`,
    );
  }
  return res.body;
}

export interface Queued {
  job: Job;
  deployment: Deployment;
}

/** Deploy or Redeploy (`POST /services/:id/deployments`); `cache` is omitted when undefined. */
export async function deploy(stage: Stage, serviceId: string, cache?: CacheMode): Promise<Queued> {
  const body = accepted(
    await postAction(stage, `/services/${serviceId}/deployments`, cache ? { cache } : {}),
    'deploy',
  );
  if (!body.deployment)
    throw new Error(`deploy answered without a deployment: ${JSON.stringify(body)}`);
  return { job: body.job, deployment: body.deployment };
}

export async function rollback(stage: Stage, deploymentId: string): Promise<Queued> {
  const body = accepted(
    await postAction(stage, `/deployments/${deploymentId}/rollback`),
    'rollback',
  );
  if (!body.deployment)
    throw new Error(`rollback answered without a deployment: ${JSON.stringify(body)}`);
  return { job: body.job, deployment: body.deployment };
}

export async function restart(stage: Stage, serviceId: string): Promise<Job> {
  return accepted(await postAction(stage, `/services/${serviceId}/restart`), 'restart').job;
}

export async function stop(stage: Stage, serviceId: string): Promise<Job> {
  return accepted(await postAction(stage, `/services/${serviceId}/stop`), 'stop').job;
}

export function cancel(stage: Stage, deploymentId: string): Promise<ApiResponse<ActionResponse>> {
  return postAction(stage, `/deployments/${deploymentId}/cancel`);
}

/**
 * How long to wait for a job by default: below the e2e test timeout (120 s), so
 * a stuck job fails with its deployment log rather than a bare timeout.
 */
const WAIT_MS = 90_000;

const FINAL_JOB = new Set<Job['status']>(['succeeded', 'failed', 'cancelled']);
const FINAL_DEPLOYMENT = new Set<Deployment['status']>(['succeeded', 'failed', 'cancelled']);

export function isFinal(status: Deployment['status'] | Job['status']): boolean {
  return (
    FINAL_DEPLOYMENT.has(status as Deployment['status']) || FINAL_JOB.has(status as Job['status'])
  );
}

/** Polls `GET /jobs/:id` until the job has finished (succeeded, failed or cancelled). */
export async function waitForJob(stage: Stage, jobId: string, timeoutMs = WAIT_MS): Promise<Job> {
  return waitFor(
    `job ${jobId} to finish`,
    async () => {
      const job = await getJob(stage, jobId);
      return FINAL_JOB.has(job.status) ? job : null;
    },
    { timeoutMs, intervalMs: 200 },
  );
}

/** Polls `GET /deployments/:id` until the deployment has finished. */
export async function waitForDeployment(
  stage: Stage,
  deploymentId: string,
  timeoutMs = WAIT_MS,
): Promise<Deployment> {
  return waitFor(
    `deployment ${deploymentId} to finish`,
    async () => {
      const deployment = await getDeployment(stage, deploymentId);
      return FINAL_DEPLOYMENT.has(deployment.status) ? deployment : null;
    },
    { timeoutMs, intervalMs: 200 },
  );
}

export interface Finished {
  job: Job;
  deployment: Deployment;
}

/** Waits for both the job and its deployment to finish. */
export async function waitForFinished(
  stage: Stage,
  queued: Queued,
  timeoutMs = WAIT_MS,
): Promise<Finished> {
  const job = await waitForJob(stage, queued.job.id, timeoutMs);
  const deployment = await waitForDeployment(stage, queued.deployment.id, 10_000);
  return { job, deployment };
}

/**
 * Deploys, waits, and fails with the deployment's log when it did not end with
 * the expected status (succeeded by default).
 */
export async function deployAndWait(
  stage: Stage,
  serviceId: string,
  options: { cache?: CacheMode; expect?: Deployment['status']; timeoutMs?: number } = {},
): Promise<Deployment> {
  const queued = await deploy(stage, serviceId, options.cache);
  const { deployment } = await waitForFinished(stage, queued, options.timeoutMs);
  await expectDeploymentStatus(stage, deployment, options.expect ?? 'succeeded');
  return deployment;
}

/** Fails with the deployment's error and log when its status is not the expected one. */
export async function expectDeploymentStatus(
  stage: Stage,
  deployment: Deployment,
  status: Deployment['status'],
): Promise<void> {
  if (deployment.status === status) return;
  const log = await readLog(stage, deployment.id).catch((err: Error) => err.message);
  throw new Error(
    `deployment #${deployment.number} ended ${deployment.status} (expected ${status}); error: ${deployment.error ?? '-'}\n${typeof log === 'string' ? log : formatLog(log)}`,
  );
}

/** Waits until the service reports the given status (it follows Docker events). */
export async function waitForServiceStatus(
  stage: Stage,
  serviceId: string,
  status: Service['status'],
  timeoutMs = 15_000,
): Promise<Service> {
  return waitFor(
    `service ${serviceId} to show ${status}`,
    async () => {
      const service = await getService(stage, serviceId);
      return service.status === status ? service : null;
    },
    { timeoutMs, intervalMs: 200 },
  );
}

export function ms(iso: string | undefined): number {
  if (!iso) throw new Error('expected a timestamp, got none');
  const value = Date.parse(iso);
  if (Number.isNaN(value)) throw new Error(`not an ISO-8601 time: ${iso}`);
  return value;
}
