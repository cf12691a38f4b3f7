import { execFileSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { api } from '../support/api.js';
import { expectServes } from '../support/app-http.js';
import { appFiles, uniqueId } from '../support/app-fixture.js';
import { runningContainerOf } from '../support/berth-docker.js';
import { readLog } from '../support/deploy-logs.js';
import {
  createService,
  deployAndWait,
  getService,
  startStage,
  stopStage,
  type Stage,
} from '../support/deploy-helpers.js';
import { dockerOrSkip } from '../support/docker.js';
import { GitServer, type GitRepo } from '../support/git-server.js';
import { freePort } from '../support/ports.js';
import { restartControlPlane } from '../support/processes.js';
import { waitFor } from '../support/wait.js';

const hasDocker = dockerOrSkip();
const SECRET = `s3cr3t-${uniqueId()}`;

/** An app that writes its GREETING env value where httpd serves it, then serves. */
function envAppFiles(version: string): Record<string, string> {
  const files = appFiles({ version });
  files.Dockerfile = files.Dockerfile!.replace(
    /CMD .*/,
    'CMD ["sh", "-c", "echo started-$GREETING_LEN; echo $GREETING > /www/greeting.txt; exec httpd -f -p 8080 -h /www"]',
  );
  return files;
}

describe.skipIf(!hasDocker)('service state, env and upkeep', () => {
  let stage: Stage;
  let git: GitServer;
  let repo: GitRepo;
  let port: number;
  let serviceId: string;

  beforeAll(async () => {
    git = await GitServer.start();
    // prune every 2 s and keep one image per service, so pruning is observable
    stage = await startStage('state', {
      agentEnv: { BERTH_AGENT_KEEP_IMAGES: '1', BERTH_AGENT_PRUNE_SCHEDULE: '*/2 * * * * *' },
    });
    repo = await git.createRepo('env-app');
    await repo.commit(envAppFiles('e1'), 'env app');
    port = await freePort();
    const service = await createService(stage, {
      name: 'env-app',
      source: { type: 'git', repository: repo.url, ref: 'main' },
      ports: [{ container: 8080, host: port }],
      env: { GREETING: SECRET, GREETING_LEN: '9' },
      healthcheck: { type: 'http', port: 8080, path: '/', timeoutSeconds: 20 },
    });
    serviceId = service.id;
  });
  afterAll(async () => {
    await stopStage(stage);
    await git?.stop();
  });

  it('env values reach the container and never appear in logs, metrics or status', async () => {
    const deployment = await deployAndWait(stage, serviceId);
    await expectServes(port, SECRET, { path: '/greeting.txt' });
    const log = JSON.stringify(await readLog(stage, deployment.id));
    expect(log).toContain('started-9');
    expect(log).not.toContain(SECRET);
    const metrics = await (await fetch(`${stage.cp.url}/metrics`)).text();
    const agentStatus = await (await fetch(`${stage.agent.statusUrl}/status`)).text();
    const agentMetrics = await (await fetch(`${stage.agent.statusUrl}/metrics`)).text();
    for (const text of [
      metrics,
      agentStatus,
      agentMetrics,
      stage.cp.process.output,
      stage.agent.process.output,
    ]) {
      expect(text).not.toContain(SECRET);
    }
  });

  it("serves the running container's own output", async () => {
    const res = await fetch(`${stage.cp.url}/api/v1/services/${serviceId}/logs?tail=20`, {
      headers: { authorization: `Bearer ${stage.cp.token}` },
    });
    expect(res.status).toBe(200);
    const lines = (await res.text())
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { seq: number; stream: string; text: string });
    expect(lines.map((l) => l.text)).toContain('started-9');
    expect(lines.map((l) => l.seq)).toEqual(lines.map((_, i) => i + 1));
  });

  it('a container stopped by hand shows stopped, one that crashes shows failed', async () => {
    const container = await runningContainerOf(serviceId);
    execFileSync('docker', ['stop', container.id]);
    await waitFor(
      'the service to show stopped',
      async () => (await getService(stage, serviceId)).status === 'stopped',
    );
    execFileSync('docker', ['start', container.id]);
    await waitFor(
      'the service to show running',
      async () => (await getService(stage, serviceId)).status === 'running',
    );
    // a segfault of the app process (exit status 139) is a crash
    execFileSync('docker', ['exec', container.id, 'sh', '-c', 'kill -SEGV $(pidof httpd)']);
    await waitFor(
      'the service to show failed',
      async () => (await getService(stage, serviceId)).status === 'failed',
      {
        timeoutMs: 10_000,
      },
    );
  });

  it('a control-plane restart during a deployment loses nothing: the job is reconciled and finishes', async () => {
    await repo.commit(
      {
        ...envAppFiles('e2'),
        Dockerfile: envAppFiles('e2').Dockerfile!.replace(
          'COPY www /www',
          'RUN sleep 4\nCOPY www /www',
        ),
      },
      'slow',
    );
    const queued = await api<{ job: { id: string }; deployment: { id: string } }>(
      stage.cp,
      'POST',
      `/api/v1/services/${serviceId}/deployments`,
      {},
    );
    expect(queued.status).toBe(202);
    await waitFor(
      'the build to start',
      async () => (await readLog(stage, queued.body.deployment.id)).length > 3,
    );
    stage.cp.process.kill('SIGKILL');
    await stage.cp.process.exited;
    stage.cp = await restartControlPlane(stage.cp);
    const done = await waitFor(
      'the deployment to finish after the restart',
      async () => {
        const res = await api<{ status: string }>(
          stage.cp,
          'GET',
          `/api/v1/deployments/${queued.body.deployment.id}`,
        );
        return ['succeeded', 'failed', 'cancelled'].includes(res.body.status) ? res.body : null;
      },
      { timeoutMs: 60_000 },
    );
    expect(done.status).toBe('succeeded');
    await expectServes(port, 'e2');
    const lines = await readLog(stage, queued.body.deployment.id);
    expect(lines.map((l) => l.seq)).toEqual(lines.map((_, i) => i + 1));
    expect(lines.some((l) => /Deployment #\d+ is live/.test(l.text))).toBe(true);
  });

  it('images beyond the kept ones are pruned, and rolling back to one answers 409', async () => {
    const history = await api<{ id: string; status: string; number: number }[]>(
      stage.cp,
      'GET',
      `/api/v1/services/${serviceId}/deployments`,
    );
    const oldest = history.body.filter((d) => d.status === 'succeeded').at(-1)!;
    const { body: deployment } = await api<{ imageId: string }>(
      stage.cp,
      'GET',
      `/api/v1/deployments/${oldest.id}`,
    );
    await waitFor(
      'the upkeep task to prune the oldest image',
      () => {
        try {
          execFileSync('docker', ['image', 'inspect', deployment.imageId], { stdio: 'ignore' });
          return false;
        } catch {
          return true;
        }
      },
      { timeoutMs: 20_000, intervalMs: 500 },
    );
    // the agent reports what it kept right after pruning
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    const answer = await api<{ error: { code: string } }>(
      stage.cp,
      'POST',
      `/api/v1/deployments/${oldest.id}/rollback`,
    );
    expect(answer.status).toBe(409);
    expect(answer.body.error.code).toBe('IMAGE_GONE');
  });
});
