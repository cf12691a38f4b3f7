import { routeNetworkName, type DomainInput } from '@berth/protocol';
import { z } from 'zod';
import { docker } from './app-fixture.js';
import { CADDY_IMAGE, ensureCaddyImage } from './caddy-image.js';
import { api } from './api.js';
import { startStage, stopStage, type Service, type Stage } from './deploy-helpers.js';
import { GitServer, type GitRepo } from './git-server.js';
import { startPebble, type Pebble } from './pebble.js';
import { freePort } from './ports.js';
import { PROXY_APP_PORT, getVia, proxyAppFiles, releaseOf } from './proxy-app.js';
import { waitFor } from './wait.js';

// A control plane and an agent that runs the proxy (the caddy test image) on free loopback
// ports, optionally with pebble as the ACME CA, plus a git server for the apps.

export const PROXY_CONTAINER = 'berth-proxy';

export interface ProxyStage {
  stage: Stage;
  gitServer: GitServer;
  pebble: Pebble | null;
  /** The proxy's published ports on 127.0.0.1. */
  httpPort: number;
  httpsPort: number;
  stop(): Promise<void>;
}

export async function startProxyStage(
  name: string,
  options: { acme?: boolean } = {},
): Promise<ProxyStage> {
  await ensureCaddyImage();
  const httpPort = await freePort();
  const httpsPort = await freePort();
  const pebble = options.acme ? await startPebble({ httpPort, tlsPort: httpsPort }) : null;
  const gitServer = await GitServer.start();
  let stage: Stage | undefined;
  const stop = async () => {
    await stopStage(stage);
    if (stage) await removeProxyOf(stage);
    await gitServer.stop();
    await pebble?.stop();
  };
  try {
    stage = await startStage(name, {
      agentEnv: {
        BERTH_PROXY_IMAGE: CADDY_IMAGE,
        BERTH_PROXY_HTTP_PORT: String(httpPort),
        BERTH_PROXY_HTTPS_PORT: String(httpsPort),
        BERTH_PROXY_BIND: '127.0.0.1',
      },
      ...(pebble
        ? {
            controlPlaneEnv: {
              BERTH_ACME_CA: pebble.directoryUrl,
              BERTH_ACME_CA_ROOT: pebble.caRootPath,
              BERTH_ACME_EMAIL: 'tests@berth.test',
            },
          }
        : {}),
    });
  } catch (err) {
    await stop();
    throw err;
  }
  return { stage, gitServer, pebble, httpPort, httpsPort, stop };
}

const mountsSchema = z.array(
  z.object({ Mounts: z.array(z.object({ Source: z.string(), Destination: z.string() })) }),
);

/**
 * Removes the proxy container this stage's agent made (never another agent's: it must
 * bind-mount this agent's state dir) and the environment's route network.
 */
async function removeProxyOf(stage: Stage): Promise<void> {
  const raw = await docker(['inspect', PROXY_CONTAINER]).catch(() => null);
  const parsed = raw ? mountsSchema.safeParse(JSON.parse(raw)) : null;
  const ours = parsed?.success
    ? parsed.data[0]?.Mounts.some((m) => m.Source.startsWith(stage.agent.stateDir))
    : false;
  if (ours) await docker(['rm', '-f', PROXY_CONTAINER]).catch(() => undefined);
  await docker(['network', 'rm', routeNetworkName(stage.environmentId)]).catch(() => undefined);
}

/** A git repo holding the Caddy file-server app at `version`. */
export async function proxyAppRepo(
  ps: ProxyStage,
  name: string,
  version: string,
): Promise<GitRepo> {
  const repo = await ps.gitServer.createRepo(name);
  await repo.commit(proxyAppFiles(version), version);
  return repo;
}

export interface ProxyServiceInput {
  name: string;
  repo: GitRepo;
  domains: DomainInput[];
  drainSeconds?: number;
  /** The health check path (default `/`). */
  healthPath?: string;
}

/** The body of a service create with domains, an HTTP health check and the app's repo. */
export function proxyServiceBody(input: ProxyServiceInput): Record<string, unknown> {
  return {
    name: input.name,
    source: { type: 'git', repository: input.repo.url, ref: 'main' },
    healthcheck: { type: 'http', port: PROXY_APP_PORT, path: input.healthPath ?? '/' },
    domains: input.domains,
    ...(input.drainSeconds !== undefined ? { drainSeconds: input.drainSeconds } : {}),
  };
}

export async function createProxyService(
  ps: ProxyStage,
  input: ProxyServiceInput,
): Promise<Service> {
  const res = await api<Service>(
    ps.stage.cp,
    'POST',
    `/api/v1/environments/${ps.stage.environmentId}/services`,
    proxyServiceBody(input),
  );
  if (res.status !== 201) {
    throw new Error(`create service ${input.name}: ${res.status} ${JSON.stringify(res.body)}`);
  }
  ps.stage.serviceIds.push(res.body.id);
  return res.body;
}

/** Waits until the proxy answers `host` on HTTP with a page whose version is `version`. */
export async function waitForRoute(
  ps: ProxyStage,
  host: string,
  version: string,
  timeoutMs = 20_000,
): Promise<string> {
  let last = '';
  try {
    return await waitFor(
      `the proxy on 127.0.0.1:${ps.httpPort} to route ${host} to ${version}`,
      async () => {
        const answer = await getVia(ps.httpPort, host);
        last = `${answer.status} ${answer.body.trim()}`;
        return answer.status === 200 && releaseOf(answer.body).version === version
          ? answer.body.trim()
          : null;
      },
      { timeoutMs, intervalMs: 100 },
    );
  } catch (err) {
    throw new Error(`${(err as Error).message}; it last answered ${JSON.stringify(last)}`);
  }
}
