import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startFakeControlPlane, type FakeControlPlane } from './testing/fake-cp-server.js';

// Runs the real entry point as its own process, the way systemd would.
const MAIN = join(dirname(fileURLToPath(import.meta.url)), 'main.ts');
const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

function startMain(env: Record<string, string>) {
  const child = spawn(process.execPath, ['--import', 'tsx', MAIN], {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? '', DOCKER_HOST: 'unix:///nonexistent/docker.sock', ...env },
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<Run>((resolve) =>
    child.on('exit', (code) => resolve({ code, stdout, stderr })),
  );
  return { child, exited, output: () => stdout + stderr };
}

let cp: FakeControlPlane;
let stateDir: string;

beforeEach(async () => {
  cp = await startFakeControlPlane();
  stateDir = await mkdtemp(join(tmpdir(), 'berth-main-'));
});

afterEach(async () => {
  await cp.close();
  await rm(stateDir, { recursive: true, force: true });
});

describe('main', () => {
  it('exits 1 on bad configuration, naming each variable', async () => {
    const run = await startMain({ BERTH_AGENT_STATUS_PORT: 'x' }).exited;
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('BERTH_CONTROL_PLANE_URL is required');
    expect(run.stderr).toContain('BERTH_AGENT_STATUS_PORT must be a whole number');
  });

  it('exits 1 without a join token on the first start', async () => {
    const run = await startMain({
      BERTH_CONTROL_PLANE_URL: cp.url.href,
      BERTH_AGENT_STATE_DIR: stateDir,
    }).exited;
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('a join token is required for the first start');
    expect(cp.enrollRequests).toEqual([]);
  });

  it('exits 1 with the control plane message when the token is used', async () => {
    cp.tokens.set('tok_used', 'used');
    const run = await startMain({
      BERTH_CONTROL_PLANE_URL: cp.url.href,
      BERTH_AGENT_STATE_DIR: stateDir,
      BERTH_JOIN_TOKEN: 'tok_used',
      BERTH_AGENT_STATUS_PORT: '0',
    }).exited;
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('JOIN_TOKEN_USED');
    expect(run.stderr).toContain('this join token is used');
    expect(run.stdout + run.stderr).not.toContain('tok_used');
  });

  it('enrolls, connects with docker: null, and exits 0 on SIGTERM after closing with 1001', async () => {
    cp.tokens.set('tok_ok', 'valid');
    const agent = startMain({
      BERTH_CONTROL_PLANE_URL: cp.url.href,
      BERTH_AGENT_STATE_DIR: stateDir,
      BERTH_JOIN_TOKEN: 'tok_ok',
      BERTH_AGENT_STATUS_PORT: '0',
    });
    const hello = await cp.waitFor(() => cp.messages('hello')[0], 10_000);
    expect(hello.docker).toBeNull();
    await cp.waitFor(() => agent.output().includes('connected to the control plane'), 5000);
    agent.child.kill('SIGTERM');
    const run = await agent.exited;
    expect(run.code).toBe(0);
    expect(cp.closes[0]).toMatchObject({ code: 1001 });
    expect(run.stdout + run.stderr).not.toContain('tok_ok');
  });
});
