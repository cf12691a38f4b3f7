// install.sh as a file: shellcheck-clean, served with only the URL line
// changed and no local-mode code, safe option handling, and the functions
// test/run.sh sources from scripts/local.sh.
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO_ROOT, startControlPlane, stopAll, type ControlPlane } from '../support/processes.js';

const INSTALL_SH = join(REPO_ROOT, 'install.sh');

function bash(args: string[], env: Record<string, string> = {}) {
  return spawnSync('bash', args, {
    cwd: REPO_ROOT,
    encoding: 'utf8',
    env: { PATH: process.env.PATH ?? '', HOME: '/nonexistent', ...env },
    timeout: 30_000,
  });
}

function hasShellcheck(): boolean {
  if (spawnSync('sh', ['-c', 'command -v shellcheck']).status === 0) return true;
  if (process.env.CI === 'true') throw new Error('CI=true but shellcheck is missing');
  console.warn('\n!!! shellcheck is missing: install.sh is NOT checked !!!\n');
  return false;
}

describe('install.sh', () => {
  let cp: ControlPlane;
  beforeAll(async () => {
    cp = await startControlPlane();
  });
  afterAll(stopAll);

  it.runIf(hasShellcheck())('passes shellcheck', () => {
    const scripts = ['install.sh', 'scripts/local.sh', 'test/run.sh', '.ci/run'];
    const result = spawnSync('shellcheck', ['-x', ...scripts], {
      cwd: REPO_ROOT,
      encoding: 'utf8',
    });
    expect(result.status, result.stdout).toBe(0);
  });

  it('is served as this checkout has it, with only the public URL filled in', async () => {
    const res = await fetch(`${cp.url}/install.sh`);
    expect(res.status).toBe(200);
    const source = readFileSync(INSTALL_SH, 'utf8');
    expect(source).toContain('\nSERVED_CONTROL_PLANE_URL=""\n');
    expect(await res.text()).toBe(
      source.replace('\nSERVED_CONTROL_PLANE_URL=""\n', `\nSERVED_CONTROL_PLANE_URL='${cp.url}'\n`),
    );
  });

  it('explains itself, and refuses options that do not go together', () => {
    const help = bash([INSTALL_SH, '--help']);
    expect(help.status).toBe(0);
    for (const option of [
      '--token',
      '--install-docker',
      '--no-start',
      '--prefix',
      '--uninstall',
      '--purge',
      '--local',
    ]) {
      expect(help.stdout).toContain(option);
    }
    expect(bash([INSTALL_SH, '--purge']).stderr).toContain('--purge goes with --uninstall');
    expect(bash([INSTALL_SH, '--token']).stderr).toContain('--token needs a value');
    expect(bash([INSTALL_SH, '--frobnicate']).status).toBe(1);
    const bare = bash([INSTALL_SH]);
    expect(bare.status).toBe(1);
    expect(bare.stderr).toContain('--token <join-token>');
    expect(bare.stderr).toContain('--local');
  });

  it('keeps the functions test/run.sh sources, in scripts/local.sh', () => {
    const result = bash([
      '-c',
      'BERTH_LOCAL_LIB=1 source ./scripts/local.sh && declare -F ensure_node ensure_pnpm ensure_docker_engine ensure_test_base_image ensure_local_registry docker_answers apt_install say warn die',
    ]);
    expect(result.status, result.stderr).toBe(0);
    expect(result.stdout.trim().split('\n')).toHaveLength(10);
  });

  it('serves workers no local-mode or test code', async () => {
    const served = await (await fetch(`${cp.url}/install.sh`)).text();
    for (const name of [
      'local_mode',
      'local_start_control_plane',
      'ensure_test_base_image',
      'ensure_local_registry',
      'ensure_pnpm',
      'REGISTRY_ADDR',
      'berth-test/busybox',
    ]) {
      expect(served).not.toContain(name);
    }
    expect(readFileSync(join(REPO_ROOT, 'scripts/local.sh'), 'utf8')).toContain('local_mode()');
  });

  it('hands --local over to scripts/local.sh in a checkout, and refuses it when piped', () => {
    const stop = bash([INSTALL_SH, '--local', '--stop'], {
      BERTH_LOCAL_HOME: '/nonexistent/berth',
    });
    expect(stop.status, stop.stderr).toBe(0);
    expect(stop.stdout).toContain('Stopped. Data stays in /nonexistent/berth');
    const piped = spawnSync('bash', ['-s', '--', '--local'], {
      cwd: REPO_ROOT,
      input: readFileSync(INSTALL_SH, 'utf8'),
      encoding: 'utf8',
      env: { PATH: process.env.PATH ?? '' },
      timeout: 30_000,
    });
    expect(piped.status).toBe(1);
    expect(piped.stderr).toContain('--local runs from a Berth checkout');
  });
});
