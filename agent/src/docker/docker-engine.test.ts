import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createDockerEngine } from './docker-engine.js';

const BASE = process.env.BERTH_TEST_BASE_IMAGE ?? 'berth-test/busybox:latest';

function baseImagePresent(): boolean {
  try {
    execFileSync('docker', ['image', 'inspect', BASE], { stdio: 'ignore', timeout: 10_000 });
    return true;
  } catch {
    if (process.env.CI === 'true')
      throw new Error(`CI=true but Docker or the image ${BASE} is missing`);
    console.warn(
      `\n!!! Docker or ${BASE} is missing: the Docker engine adapter tests are SKIPPED !!!\n`,
    );
    return false;
  }
}

const run = baseImagePresent();
const serviceId = `svc_enginetest${process.pid}`;

describe.skipIf(!run)('the Docker engine adapter, against the real engine', () => {
  const engine = createDockerEngine();
  afterAll(async () => {
    for (const c of await engine.listContainers({ 'berth.service': serviceId }))
      await engine.removeContainer(c.id);
    for (const i of await engine.listImages({ 'berth.service': serviceId }))
      await engine.removeImage(i.id);
  });

  it('builds with labels, reports build lines and failures, runs and stops a container', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'berth-engine-'));
    writeFileSync(
      join(dir, 'Dockerfile'),
      `FROM ${BASE}\nRUN echo built-marker-${process.pid}\nCMD ["sh","-c","echo hello from app; sleep 30"]\n`,
    );
    const lines: string[] = [];
    const controller = new AbortController();
    const built = await engine.buildImage({
      contextDir: dir,
      dockerfile: 'Dockerfile',
      tags: [`berth/${serviceId}:1`],
      noCache: true,
      signal: controller.signal,
      onLine: (l) => lines.push(l.text),
    });
    expect(built.ok).toBe(true);
    expect(lines.some((l) => l.includes(`built-marker-${process.pid}`))).toBe(true);
    const image = await engine.inspectImage(`berth/${serviceId}:1`);
    expect(image?.id).toBe(built.ok ? built.imageId : '');

    writeFileSync(join(dir, 'Dockerfile'), `FROM ${BASE}\nRUN exit 7\n`);
    const failed = await engine.buildImage({
      contextDir: dir,
      dockerfile: 'Dockerfile',
      tags: [`berth/${serviceId}:2`],
      noCache: false,
      signal: controller.signal,
      onLine: () => undefined,
    });
    expect(failed).toMatchObject({ ok: false });
    expect(!failed.ok && failed.error).toMatch(/non-zero code: 7/);

    const id = await engine.createContainer({
      name: `berth-${serviceId}-1`,
      image: built.ok ? built.imageId : '',
      env: { GREETING: 'hi' },
      labels: { 'berth.service': serviceId, 'berth.deployment': 'dep1' },
      ports: [],
    });
    await engine.startContainer(id);
    const details = await engine.inspectContainer(id);
    expect(details).toMatchObject({ state: 'running', labels: { 'berth.deployment': 'dep1' } });
    expect(details?.ipAddress).toMatch(/^\d+\.\d+\.\d+\.\d+$/);
    await new Promise((r) => setTimeout(r, 300));
    expect(await engine.containerLogs(id, 10)).toEqual([
      { stream: 'stdout', text: 'hello from app' },
    ]);
    await engine.stopContainer(id, 10);
    await engine.stopContainer(id, 10); // already stopped: fine
    const stopped = await engine.inspectContainer(id);
    expect(stopped?.state).toBe('exited');
    // It stopped on SIGTERM, not by a SIGKILL once the 10 s grace had run out (137).
    expect(stopped?.exitCode).not.toBe(137);
  });

  it('cancels a running build within a few seconds', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'berth-engine-'));
    writeFileSync(join(dir, 'Dockerfile'), `FROM ${BASE}\nRUN sleep 30\n`);
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 1_000);
    // The step sleeps 30 s, twice the test's timeout: only a cancelled build returns in time.
    await engine
      .buildImage({
        contextDir: dir,
        dockerfile: 'Dockerfile',
        tags: [`berth/${serviceId}:3`],
        noCache: true,
        signal: controller.signal,
        onLine: () => undefined,
      })
      .catch(() => undefined);
    expect(controller.signal.aborted).toBe(true);
  });
});
