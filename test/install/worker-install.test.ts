// The one-line install on a fresh Debian "worker" (a debootstrap container with
// the host's Docker socket), then a re-run, a tampered download, an upgrade and
// an uninstall, each run exactly as a user would: curl | sudo bash.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readManifest, releaseWithVersion, startTamperingProxy } from '../support/agent-release.js';
import { api, listServers, type ServerView } from '../support/api.js';
import { docker, uniqueId } from '../support/app-fixture.js';
import { DOCKER_VERSION, dockerOrSkip } from '../support/docker.js';
import { startNodeMirror, type NodeMirror } from '../support/node-mirror.js';
import { freePort } from '../support/ports.js';
import { startControlPlane, stopAll, type ControlPlane } from '../support/processes.js';
import { waitFor } from '../support/wait.js';
import {
  WorkerContainer,
  ensureWorkerImage,
  workerImageOrSkip,
  type ExecResult,
} from '../support/worker-host.js';

const canRun = dockerOrSkip() && workerImageOrSkip();

type Server = ServerView & { outdated: boolean };

interface AgentFacts {
  pid: string;
  current: string;
  mainSha: string;
  envFile: string;
  identity: string;
}

describe.skipIf(!canRun)('install.sh on a worker server', () => {
  let cp: ControlPlane;
  let mirror: NodeMirror;
  let worker: WorkerContainer;
  let image: string;
  let statusPort: number;
  let agentId: string;
  const id = uniqueId();
  const label = `berth.service=install-test-${id}`;
  const labelled = `berth-install-labelled-${id}`;
  const cleanups: (() => Promise<unknown>)[] = [];

  const run = (line: string, env: Record<string, string> = {}) =>
    worker.exec(line, { env: { BERTH_INSTALL_WAIT_SECONDS: '60', ...env } });
  const served = (url: string, args: string) =>
    `curl -fsSL ${url}/install.sh | sudo bash -s -- ${args}`;
  const ok = (result: ExecResult) => {
    if (result.code !== 0)
      throw new Error(`the installer failed (${result.code}):\n${result.output}`);
    return result;
  };
  const status = async () =>
    (await (await fetch(`http://127.0.0.1:${statusPort}/status`)).json()) as {
      connected: boolean;
      agentId: string;
    };
  const server = async (): Promise<Server> => {
    const found = (await listServers(cp)).find((s) => s.id === agentId);
    if (!found) throw new Error(`server ${agentId} is not listed`);
    return found as Server;
  };
  /** Restarts the control plane (same data and port) serving another agent release. */
  const serveRelease = async (dir: string) => {
    await cp.process.stop();
    cp = await startControlPlane({
      dataDir: cp.dataDir,
      port: cp.port,
      env: { ...cp.env, BERTH_AGENT_RELEASE_DIR: dir },
    });
  };
  const facts = async (): Promise<AgentFacts> => ({
    pid: await worker.sh('cat /run/berth-agent.pid'),
    current: await worker.sh('readlink /opt/berth-agent/current'),
    mainSha: await worker.sh('sha256sum /opt/berth-agent/current/main.js'),
    envFile: await worker.sh('cat /etc/berth/agent.env'),
    identity: await worker.sh('cat /var/lib/berth-agent/identity.json'),
  });

  beforeAll(async () => {
    image = await ensureWorkerImage();
    mirror = await startNodeMirror();
    cleanups.push(() => mirror.close());
    cp = await startControlPlane();
    worker = await WorkerContainer.start(image);
    cleanups.push(() => worker.remove());
    statusPort = await freePort();
  }, 900_000);

  afterAll(async () => {
    for (const cleanup of cleanups.reverse()) await cleanup().catch(() => undefined);
    await docker(['rm', '-f', labelled]).catch(() => '');
    await stopAll();
  });

  it('says how to get a Docker engine when none answers', async () => {
    // Run as root without sudo, so DOCKER_HOST reaches the installer.
    const result = await run(
      `curl -fsSL ${cp.url}/install.sh | DOCKER_HOST=unix:///run/no-docker.sock bash -s -- --token ${'t'.repeat(43)}`,
    );
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('no Docker engine answers at /run/no-docker.sock');
    expect(result.stderr).toContain('--install-docker');
    expect(await worker.exists('/opt/berth-agent')).toBe(false);
  });

  it('refuses a Node.js download whose checksum does not match, before changing anything', async () => {
    const token = (await api<{ token: string }>(cp, 'POST', '/api/v1/join-tokens', {})).body.token;
    const result = await run(served(cp.url, `--token ${token} --status-port ${statusPort}`), {
      BERTH_NODE_MIRROR: mirror.badUrl,
    });
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/node-v[\d.]+-linux-\w+\.tar\.gz does not match its checksum/);
    for (const path of ['/opt/berth-agent/node', '/etc/berth', '/var/lib/berth-agent']) {
      expect(await worker.exists(path), path).toBe(false);
    }
    expect((await worker.exec('id berth')).code).not.toBe(0);
  });

  it("runs the API's install line: installs Node.js, verifies the bundle, enrolls and reports online", async () => {
    const script = await (await fetch(`${cp.url}/install.sh`)).text();
    expect(script).toContain(`\nSERVED_CONTROL_PLANE_URL='${cp.url}'\n`);
    const created = await api<{ token: string; installCommand: string }>(
      cp,
      'POST',
      '/api/v1/join-tokens',
      {},
    );
    const { token, installCommand } = created.body;
    expect(installCommand).toBe(
      `curl -fsSL ${cp.url}/install.sh | sudo bash -s -- --token ${token}`,
    );

    const result = ok(await run(`${installCommand} --name worker-1 --status-port ${statusPort}`));
    const manifest = readManifest();
    // No Node.js on the worker: it gets the control plane's own.
    expect(result.stdout).toContain(`Installing Node.js from ${cp.url}/agent/v1/node/`);
    expect(result.stdout).toContain(`Installed Node.js ${process.version} (sha256 verified)`);
    expect(result.stdout).toContain(`Verified the bundle's sha256 ${manifest.sha256}`);
    expect(result.stderr).toContain('systemd is not running here');
    expect(result.stdout).toContain(`Berth agent ${manifest.version} is running and connected.`);
    const printed = /Server: +worker-1 \((srv_\w+)\)\n +Status: +online/.exec(result.stdout);
    expect(printed, result.stdout).not.toBeNull();
    agentId = printed![1]!;

    expect(await status()).toMatchObject({ connected: true, agentId });
    const listed = await waitFor('the server to show online', async () => {
      const s = await server();
      return s.status === 'online' ? s : null;
    });
    expect(listed).toMatchObject({
      name: 'worker-1',
      agentVersion: manifest.version,
      outdated: false,
      docker: { version: DOCKER_VERSION },
    });
  });

  it('lays the agent out with a dedicated user, private files and a restart-safe unit', async () => {
    const modes = await worker.sh(
      'stat -c "%a %U:%G %n" /etc/berth/agent.env /var/lib/berth-agent /var/lib/berth-agent/agent.key',
    );
    expect(modes.split('\n')).toEqual([
      '600 root:root /etc/berth/agent.env',
      '700 berth:berth /var/lib/berth-agent',
      '600 berth:berth /var/lib/berth-agent/agent.key',
    ]);
    expect(await worker.sh('id -nG berth')).toMatch(/\bdocker\b/);
    expect(await worker.sh('stat -c %U /proc/$(cat /run/berth-agent.pid)')).toBe('berth');
    const unit = await worker.sh('cat /etc/systemd/system/berth-agent.service');
    for (const line of [
      'User=berth',
      'Environment=MALLOC_TRIM_THRESHOLD_=131072',
      'EnvironmentFile=/etc/berth/agent.env',
      'ExecStart=/opt/berth-agent/node/bin/node --max-semi-space-size=4 --v8-pool-size=1 --expose-gc --interrupt-budget=1000000 /opt/berth-agent/current/main.js',
      'Restart=on-failure',
      'KillMode=process',
      'TimeoutStopSec=30min',
      'WantedBy=multi-user.target',
    ]) {
      expect(unit.split('\n')).toContain(line);
    }
    const settings = await worker.sh('cat /etc/berth/agent.env');
    expect(settings).toContain(`BERTH_CONTROL_PLANE_URL='${cp.url}'`);
    expect(settings).toContain(`BERTH_AGENT_STATUS_PORT='${statusPort}'`);
    // Enrolled: the spent one-time token is not kept on disk.
    expect(settings).not.toContain('BERTH_JOIN_TOKEN');
  });

  it('running it again changes nothing and keeps the running agent', async () => {
    const before = await facts();
    const result = ok(await run(served(cp.url, '')));
    expect(result.stdout).toContain('is already installed');
    expect(result.stdout).toContain('already running this version and configuration');
    expect(await facts()).toEqual(before);
    expect((await listServers(cp)).filter((s) => s.name === 'worker-1')).toHaveLength(1);
  });

  it('refuses a tampered bundle and leaves the installed agent untouched', async () => {
    const proxy = await startTamperingProxy(cp.url);
    cleanups.push(() => proxy.close());
    const before = await facts();
    const releases = await worker.sh('ls -A /opt/berth-agent/releases');

    const result = await run(served(proxy.url, ''));
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(
      `does not match the sha256 the control plane publishes (expected ${readManifest().sha256}`,
    );
    expect(result.stderr).toContain('the installed agent was left as it is');
    expect(await facts()).toEqual(before);
    expect(await worker.sh('ls -A /opt/berth-agent/releases')).toBe(releases);
    expect(await status()).toMatchObject({ connected: true, agentId });
  });

  it('rolls back an upgrade whose agent does not come online', async () => {
    const before = await facts();
    await serveRelease(releaseWithVersion('0.1.1', { brokenAgent: true }));
    const result = await run(served(cp.url, ''));
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('this agent release is broken');
    expect(result.stderr).toContain('the new agent was rolled back');
    const after = await facts();
    expect(after.current).toBe(before.current);
    expect(after.mainSha).toBe(before.mainSha);
    expect(after.pid).not.toBe(before.pid);
    await waitFor('the previous agent to connect again', async () => (await status()).connected);
    expect((await status()).agentId).toBe(agentId);
  });

  it('upgrades in place to a newer bundle, keeping identity and settings', async () => {
    const before = await facts();
    await serveRelease(releaseWithVersion('0.1.1'));
    // The control plane now serves 0.1.1: the 0.1.0 agent is flagged.
    expect(await server()).toMatchObject({ agentVersion: '0.1.0', outdated: true });

    const result = ok(await run(served(cp.url, '')));
    expect(result.stdout).toMatch(/Upgraded the agent: 0\.1\.0-\w{12} -> 0\.1\.1-\w{12}/);
    const after = await facts();
    expect(after.pid).not.toBe(before.pid);
    expect(after.current).not.toBe(before.current);
    expect(after.mainSha).not.toBe(before.mainSha);
    expect(after.envFile).toBe(before.envFile);
    expect(after.identity).toBe(before.identity);
    // The previous release stays beside the new one, for a rollback.
    expect((await worker.sh('ls -A /opt/berth-agent/releases')).split('\n').sort()).toEqual(
      [before.current, after.current].map((r) => r.replace('releases/', '')).sort(),
    );
    expect(await status()).toMatchObject({ connected: true, agentId });
    const upgraded = await waitFor('the server to report the new version', async () => {
      const s = await server();
      return s.status === 'online' && s.agentVersion === '0.1.1' ? s : null;
    });
    expect(upgraded.outdated).toBe(false);
    expect((await listServers(cp)).filter((s) => s.name === 'worker-1')).toHaveLength(1);
  });

  it('uninstalls the service, user and files; containers keep running unless --purge', async () => {
    // A container the agent could have started: the worker image, with Berth's label.
    await docker(['run', '-d', '--name', labelled, '--label', label, image, 'sleep', '600']);
    const running = () =>
      docker(['inspect', '-f', '{{.State.Running}}', labelled]).catch(() => 'gone');

    const result = ok(await run(served(cp.url, '--uninstall')));
    expect(result.stdout).toContain(`The server ${agentId} stays listed`);
    for (const path of [
      '/etc/systemd/system/berth-agent.service',
      '/etc/berth',
      '/opt/berth-agent',
      '/var/lib/berth-agent',
    ]) {
      expect(await worker.exists(path), path).toBe(false);
    }
    expect((await worker.exec('id berth')).code).not.toBe(0);
    await expect(fetch(`http://127.0.0.1:${statusPort}/status`)).rejects.toThrow();
    expect(await running()).toBe('true');

    ok(await run(served(cp.url, '--uninstall --purge'), { BERTH_PURGE_LABEL: label }));
    expect(await running()).toBe('gone');
  });

  it('installs again after an uninstall, with Node.js from BERTH_NODE_MIRROR', async () => {
    const token = (await api<{ token: string }>(cp, 'POST', '/api/v1/join-tokens', {})).body.token;
    const result = ok(
      await run(served(cp.url, `--token ${token} --name worker-2 --status-port ${statusPort}`), {
        BERTH_NODE_MIRROR: mirror.url,
      }),
    );
    expect(result.stdout).toContain(`Installing Node.js from ${mirror.url}/latest-v`);
    expect(result.stdout).toContain(`Installed Node.js ${mirror.version} (sha256 verified)`);
    const printed = /Server: +worker-2 \((srv_\w+)\)/.exec(result.stdout);
    expect(printed?.[1]).toBeDefined();
    expect(printed![1]).not.toBe(agentId);
    expect(await status()).toMatchObject({ connected: true, agentId: printed![1] });
  });
});
