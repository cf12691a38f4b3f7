import { execFileSync } from 'node:child_process';
import { afterAll, describe, expect, it } from 'vitest';
import { createDockerEngine } from './docker-engine.js';

// The redis test image (test/support/engine-images.ts pushes it) has a `redis` user and
// redis-cli; without it these tests skip loudly.
const REDIS =
  process.env.BERTH_TEST_REDIS_IMAGE ??
  `${process.env.BERTH_TEST_REGISTRY ?? '127.0.0.1:5000'}/berth-test/redis:7`;

let pulled = false;

function imagePresent(): boolean {
  const quiet = { stdio: 'ignore' as const, timeout: 120_000 };
  try {
    execFileSync('docker', ['image', 'inspect', REDIS], quiet);
    return true;
  } catch {
    try {
      execFileSync('docker', ['pull', REDIS], quiet);
      pulled = true;
      return true;
    } catch {
      console.warn(
        `\n!!! ${REDIS} is missing: the Docker network, volume and exec tests are SKIPPED !!!\n`,
      );
      return false;
    }
  }
}

const run = imagePresent();
const serviceId = `svc_resources${process.pid}`;
const network = `berth-env-test${process.pid}`;
const volume = `berth-${serviceId}-data`;

describe.skipIf(!run)('networks, volumes, files and execs on the real engine', () => {
  const engine = createDockerEngine();
  afterAll(() => {
    const ignore = { stdio: 'ignore' as const };
    const ids = execFileSync('docker', [
      'ps',
      '-aq',
      '--filter',
      `label=berth.service=${serviceId}`,
    ])
      .toString()
      .split('\n')
      .filter(Boolean);
    if (ids.length > 0) execFileSync('docker', ['rm', '-f', '-v', ...ids], ignore);
    try {
      execFileSync('docker', ['network', 'rm', network], ignore);
      execFileSync('docker', ['volume', 'rm', volume], ignore);
    } catch {
      // Already gone.
    }
    // Only the tag this test pulled; an image made by the engine-image builder stays.
    if (pulled) execFileSync('docker', ['rmi', REDIS], ignore);
  });

  it('creates one network under concurrent calls, and a volume', async () => {
    await Promise.all(
      [1, 2, 3].map(() => engine.ensureNetwork(network, { 'berth.environment': 't' })),
    );
    await engine.ensureNetwork(network, { 'berth.environment': 't' });
    const found = execFileSync('docker', ['network', 'ls', '-q', '--filter', `name=^${network}$`])
      .toString()
      .trim()
      .split('\n');
    expect(found).toHaveLength(1);
    await engine.ensureVolume(volume, { 'berth.service': serviceId });
    await engine.ensureVolume(volume, { 'berth.service': serviceId });
  });

  it('runs redis from a 0600 config it owns, on the network under its alias; execs keep secrets in env', async () => {
    const secret = `pw-${process.pid}-secret`;
    const id = await engine.createContainer({
      name: `berth-${serviceId}-1`,
      image: REDIS,
      env: {},
      labels: { 'berth.service': serviceId, 'berth.deployment': 'dep1' },
      ports: [],
      network: { name: network, aliases: ['cache'] },
      volumes: [{ name: volume, path: '/data' }],
      cmd: ['redis-server', '/etc/berth/redis.conf'],
    });
    await engine.writeFile(id, {
      path: '/etc/berth/redis.conf',
      content: Buffer.from(
        `requirepass "${secret}"\ndir /data\nprotected-mode no\nport 6379\nbind 0.0.0.0\n`,
      ),
      mode: 0o600,
      owner: 'redis',
    });
    await engine.startContainer(id);
    const details = await engine.inspectContainer(id);
    const inspected = JSON.parse(execFileSync('docker', ['inspect', id]).toString()) as {
      NetworkSettings: { Networks: Record<string, { IPAddress: string; Aliases: string[] }> };
    }[];
    const own = inspected[0]!.NetworkSettings.Networks[network]!;
    expect(details?.ipAddress).toBe(own.IPAddress);
    expect(own.Aliases).toContain('cache');

    let answer = { exitCode: -1, stdout: '', stderr: '' };
    for (let i = 0; i < 50 && answer.stdout.trim() !== 'PONG'; i += 1) {
      answer = await engine.runExec(id, ['redis-cli', 'ping'], { REDISCLI_AUTH: secret });
      if (answer.stdout.trim() !== 'PONG') await new Promise((r) => setTimeout(r, 100));
    }
    expect(answer).toMatchObject({ exitCode: 0, stdout: 'PONG\n' });
    const noAuth = await engine.runExec(id, ['redis-cli', 'ping'], {});
    expect(noAuth.stdout).toMatch(/NOAUTH/);
    const mode = await engine.runExec(id, ['stat', '-c', '%a %U', '/etc/berth/redis.conf'], {});
    expect(mode.stdout.trim()).toBe('600 redis');
    const failed = await engine.runExec(id, ['sh', '-c', 'echo oops >&2; exit 3'], {});
    expect(failed).toEqual({ exitCode: 3, stdout: '', stderr: 'oops\n' });

    const cmd = JSON.parse(
      execFileSync('docker', ['inspect', '--format', '{{json .Config.Cmd}}', id]).toString(),
    ) as string[];
    expect(cmd.join(' ')).not.toContain(secret);
  });
});
