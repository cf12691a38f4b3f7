import { APP_PORT } from './app-fixture.js';
import {
  QUICK_CHECK,
  createService,
  startStage,
  stopStage,
  type Service,
  type Stage,
  type StageOptions,
} from './deploy-helpers.js';
import { GitServer, type GitRepo } from './git-server.js';
import { freePort } from './ports.js';
import { startTcpProxy, type TcpProxy } from './tcp-proxy.js';

/** A stage with one git service on a free host port, its repository holding a first commit. */
export interface GitAppStage {
  stage: Stage;
  gitServer: GitServer;
  repo: GitRepo;
  service: Service;
  /** The host port the app is published on. */
  port: number;
  /** For afterAll: stops the processes and the git daemon, and cleans up. */
  stop(): Promise<void>;
}

export async function startGitAppStage(
  name: string,
  firstCommit: Record<string, string>,
  options: StageOptions = {},
): Promise<GitAppStage> {
  const gitServer = await GitServer.start();
  const stage = await startStage(name, options);
  const repo = await gitServer.createRepo('app');
  await repo.commit(firstCommit, 'first');
  const port = await freePort();
  const service = await createService(stage, {
    name: 'web',
    source: { type: 'git', repository: repo.url, ref: 'main' },
    ports: [{ container: APP_PORT, host: port }],
    healthcheck: QUICK_CHECK,
  });
  return {
    stage,
    gitServer,
    repo,
    service,
    port,
    async stop() {
      await stopStage(stage);
      await gitServer.stop();
    },
  };
}

/** A git app stage whose agent reaches the control plane only through a proxy that can be cut. */
export async function startCuttableStage(
  name: string,
  files: Record<string, string>,
  controlPlaneEnv?: Record<string, string>,
): Promise<{ app: GitAppStage; proxy: TcpProxy }> {
  let proxy: TcpProxy | undefined;
  const options: StageOptions = {
    ...(controlPlaneEnv ? { controlPlaneEnv } : {}),
    agentControlPlaneUrl: async (cp) => {
      proxy = await startTcpProxy(cp.port);
      return proxy.url;
    },
  };
  const app = await startGitAppStage(name, files, options);
  if (!proxy) throw new Error('the stage started without the proxy in front of the control plane');
  return { app, proxy };
}
