// `--prefix` and `--no-start`, for packaging: everything lands under one folder,
// nothing starts, the unit passes `systemd-analyze verify`, and the command the
// unit would run enrolls the server when started by hand.
import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, rmSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createJoinToken, listServers } from '../support/api.js';
import { dockerOrSkip } from '../support/docker.js';
import { freePort } from '../support/ports.js';
import { startControlPlane, stopAll, tempDir, type ControlPlane } from '../support/processes.js';
import { waitFor } from '../support/wait.js';
import { WorkerContainer, ensureWorkerImage, workerImageOrSkip } from '../support/worker-host.js';

const canRun = dockerOrSkip() && workerImageOrSkip();
const NODE = execFileSync('readlink', ['-f', process.execPath]).toString().trim();

function systemdAnalyze(): boolean {
  if (spawnSync('sh', ['-c', 'command -v systemd-analyze']).status === 0) return true;
  if (process.env.CI === 'true') {
    throw new Error('CI=true but systemd-analyze is missing: the unit file cannot be verified');
  }
  console.warn('\n!!! systemd-analyze is missing: the unit file check is SKIPPED !!!\n');
  return false;
}

describe.skipIf(!canRun)('install.sh --prefix --no-start', () => {
  let cp: ControlPlane;
  let worker: WorkerContainer;
  let prefix: string;
  let statusPort: number;
  let unit: string;

  beforeAll(async () => {
    const image = await ensureWorkerImage();
    cp = await startControlPlane();
    // The prefix has the same path on the host and in the container, so the
    // host's systemd-analyze can read the unit and every path it names.
    prefix = tempDir('prefix');
    chmodSync(prefix, 0o755); // mkdtemp makes it 0700; the agent runs as berth
    worker = await WorkerContainer.start(image, {
      mounts: [
        { host: prefix, container: prefix },
        // An installed Node.js ≥ 20, at the same path as on the host.
        { host: NODE, container: NODE, readOnly: true },
      ],
    });
    statusPort = await freePort();
  }, 900_000);

  afterAll(async () => {
    await worker?.remove();
    await stopAll();
    if (prefix) rmSync(prefix, { recursive: true, force: true });
  });

  it('puts every file under the prefix, uses the Node.js it finds, and starts nothing', async () => {
    const token = await createJoinToken(cp);
    const result = await worker.exec(
      `curl -fsSL ${cp.url}/install.sh | sudo bash -s -- --token ${token} --prefix ${prefix} --no-start --name pkg-1 --status-port ${statusPort}`,
    );
    expect(result.code, result.output).toBe(0);
    expect(result.stdout).toContain(`Using Node.js ${process.version} at ${NODE}`);
    expect(result.stdout).toContain('is installed but not started (--no-start)');
    for (const path of ['etc/berth/agent.env', 'opt/berth-agent/current/main.js']) {
      expect(await worker.exists(`${prefix}/${path}`), path).toBe(true);
    }
    for (const path of [
      '/etc/berth',
      '/opt/berth-agent',
      '/var/lib/berth-agent',
      '/run/berth-agent.pid',
    ]) {
      expect(await worker.exists(path), path).toBe(false);
    }
    expect(
      await worker.sh(
        `stat -c "%a %U" ${prefix}/etc/berth/agent.env ${prefix}/var/lib/berth-agent`,
      ),
    ).toBe('600 root\n700 berth');
    await expect(fetch(`http://127.0.0.1:${statusPort}/status`)).rejects.toThrow();
    // Not enrolled yet: the token waits in the settings for the first start.
    expect(await worker.sh(`cat ${prefix}/etc/berth/agent.env`)).toContain(
      `BERTH_JOIN_TOKEN='${token}'`,
    );
    unit = await worker.sh(`cat ${prefix}/etc/systemd/system/berth-agent.service`);
    expect(unit.split('\n')).toEqual(
      expect.arrayContaining([
        `ExecStart=${NODE} --max-semi-space-size=4 --v8-pool-size=1 --expose-gc --interrupt-budget=1000000 ${prefix}/opt/berth-agent/current/main.js`,
        'Environment=MALLOC_TRIM_THRESHOLD_=131072',
        `EnvironmentFile=${prefix}/etc/berth/agent.env`,
        `WorkingDirectory=${prefix}/var/lib/berth-agent`,
      ]),
    );
  });

  it.runIf(canRun && systemdAnalyze())('writes a unit that systemd-analyze verify accepts', () => {
    const verify = spawnSync(
      'systemd-analyze',
      ['verify', '--man=no', `${prefix}/etc/systemd/system/berth-agent.service`],
      { encoding: 'utf8' },
    );
    expect(verify.status, verify.stderr).toBe(0);
    expect(verify.stderr.trim()).toBe('');
  });

  it("enrolls the server when the unit's command is started by hand as berth", async () => {
    const execStart = /^ExecStart=(.+)$/m.exec(unit)?.[1];
    expect(execStart).toBeDefined();
    await worker.detach(
      `echo $$ >/tmp/agent.pid; set -a; . ${prefix}/etc/berth/agent.env; set +a; cd ${prefix}/var/lib/berth-agent; exec setpriv --reuid=berth --regid=berth --init-groups -- ${execStart} >/tmp/agent.log 2>&1`,
    );
    const log = () => worker.sh('cat /tmp/agent.log').catch((err: Error) => err.message);
    const status = await waitFor(
      'the hand-started agent to connect',
      async () => {
        const body = (await (await fetch(`http://127.0.0.1:${statusPort}/status`)).json()) as {
          connected: boolean;
          agentId: string;
        };
        return body.connected ? body : null;
      },
      { timeoutMs: 30_000 },
    ).catch(async (err: Error) => {
      throw new Error(`${err.message}\nagent log:\n${await log()}`);
    });
    const server = await waitFor('pkg-1 to show online', async () =>
      (await listServers(cp)).find((s) => s.id === status.agentId && s.status === 'online'),
    );
    expect(server.name).toBe('pkg-1');
    await worker.sh(
      'kill $(cat /tmp/agent.pid); while kill -0 $(cat /tmp/agent.pid) 2>/dev/null; do sleep 0.2; done',
    );
  });

  it('--uninstall --prefix removes the prefixed files and the user', async () => {
    const result = await worker.exec(
      `curl -fsSL ${cp.url}/install.sh | sudo bash -s -- --uninstall --prefix ${prefix}`,
    );
    expect(result.code, result.output).toBe(0);
    expect(await worker.sh(`find ${prefix} -mindepth 1 -not -type d | wc -l`)).toBe('0');
    expect((await worker.exec('id berth')).code).not.toBe(0);
  });
});
