// The installer's systemd path, on a worker where a stand-in systemctl records
// each call and runs the unit's ExecStart as its User with its EnvironmentFile.
// (A real systemd cannot run in these containers.)
import { execFileSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createJoinToken, listServers } from '../support/api.js';
import { dockerOrSkip } from '../support/docker.js';
import { freePort } from '../support/ports.js';
import { startControlPlane, stopAll, type ControlPlane } from '../support/processes.js';
import { waitFor } from '../support/wait.js';
import { WorkerContainer, ensureWorkerImage, workerImageOrSkip } from '../support/worker-host.js';

const canRun = dockerOrSkip() && workerImageOrSkip();
const NODE = execFileSync('readlink', ['-f', process.execPath]).toString().trim();

const FAKE_SYSTEMCTL = String.raw`#!/bin/bash
echo "$*" >>/var/log/systemctl-calls.log
unit=/etc/systemd/system/berth-agent.service
pidfile=/run/stand-in-berth-agent.pid
alive() { [[ -f $pidfile ]] && kill -0 "$(cat $pidfile)" 2>/dev/null; }
stop() {
  if alive; then kill "$(cat $pidfile)"; while alive; do sleep 0.1; done; fi
  rm -f $pidfile
}
start() {
  local exec_start env_file user
  exec_start="$(sed -n 's/^ExecStart=//p' $unit)"
  env_file="$(sed -n 's/^EnvironmentFile=//p' $unit)"
  user="$(sed -n 's/^User=//p' $unit)"
  setsid bash -c "set -a; . $env_file; set +a; exec setpriv --reuid=$user --regid=$user --init-groups -- $exec_start" \
    >>/var/log/stand-in-unit.log 2>&1 </dev/null &
  echo $! >$pidfile
}
case "$1" in
  restart) stop; start ;;
  is-active) alive ;;
  stop) stop ;;
  disable) if [[ " $* " == *" --now "* ]]; then stop; fi ;;
  cat) [[ -f $unit ]] ;;
  *) ;;
esac
`;

describe.skipIf(!canRun)('install.sh where systemd runs', () => {
  let cp: ControlPlane;
  let worker: WorkerContainer;
  let statusPort: number;
  const calls = async () => (await worker.sh('cat /var/log/systemctl-calls.log')).split('\n');
  const install = (args: string) =>
    worker.exec(`curl -fsSL ${cp.url}/install.sh | sudo bash -s -- ${args}`);

  beforeAll(async () => {
    const image = await ensureWorkerImage();
    cp = await startControlPlane();
    worker = await WorkerContainer.start(image, {
      mounts: [{ host: NODE, container: NODE, readOnly: true }],
    });
    await worker.sh(
      `mkdir -p /run/systemd/system && cat >/usr/local/bin/systemctl <<'EOF'\n${FAKE_SYSTEMCTL}EOF\nchmod +x /usr/local/bin/systemctl`,
    );
    statusPort = await freePort();
  }, 900_000);

  afterAll(async () => {
    await worker?.remove();
    await stopAll();
  });

  it('enables and starts the service, then waits for it to connect', async () => {
    const token = await createJoinToken(cp);
    const result = await install(`--token ${token} --name sd-1 --status-port ${statusPort}`);
    expect(result.code, result.output).toBe(0);
    expect(result.stderr).not.toContain('systemd is not running');
    expect(result.stdout).toContain('Service:    systemctl status berth-agent');
    const log = await calls();
    expect(log.slice(0, 4)).toEqual([
      'daemon-reload',
      'enable --quiet berth-agent',
      'is-active --quiet berth-agent',
      'restart berth-agent',
    ]);
    // Then only checks that it still runs, while waiting for it to connect.
    expect(log.slice(4).filter((call) => call !== 'is-active --quiet berth-agent')).toEqual([]);
    const server = await waitFor('sd-1 to show online', async () =>
      (await listServers(cp)).find((s) => s.name === 'sd-1' && s.status === 'online'),
    );
    expect(server.agentVersion).toMatch(/^\d+\.\d+\.\d+/);
  });

  it('does not restart an unchanged service when run again', async () => {
    await worker.sh(': >/var/log/systemctl-calls.log');
    const result = await install('');
    expect(result.code, result.output).toBe(0);
    expect(await calls()).not.toContain('restart berth-agent');
    expect(result.stdout).toContain('already running this version and configuration');
  });

  it('--uninstall disables and stops the service', async () => {
    await worker.sh(': >/var/log/systemctl-calls.log');
    const result = await install('--uninstall');
    expect(result.code, result.output).toBe(0);
    expect(await calls()).toEqual(
      expect.arrayContaining(['disable --now --quiet berth-agent', 'daemon-reload']),
    );
    await expect(fetch(`http://127.0.0.1:${statusPort}/status`)).rejects.toThrow();
    expect(await worker.exists('/etc/systemd/system/berth-agent.service')).toBe(false);
  });
});
