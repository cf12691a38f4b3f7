import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { JobSpec, LogStream } from '@berth/protocol';
import { FakeEngine } from '../testing/fake-engine.js';
import { runDeployJob, runRestartJob, runStopJob } from './deploy-job.js';
import { LABELS } from '../docker/engine.js';
import type { JobContext } from './job-context.js';

function spec(overrides: Partial<JobSpec> = {}, number = 1): JobSpec {
  return {
    jobId: `job${number}`,
    kind: 'deploy',
    service: {
      id: 'svc1',
      name: 'web',
      source: { type: 'image', image: '127.0.0.1:5000/web:v1' },
      ports: [{ container: 8080, host: 18080, hostIp: '0.0.0.0' }],
      env: { SECRET: 'hunter2' },
      healthcheck: { type: 'running', seconds: 0 },
    },
    deployment: { id: `dep${number}`, number, cache: 'use-existing', trigger: 'deploy' },
    deadlineAt: new Date(Date.now() + 60_000).toISOString(),
    ...overrides,
  };
}

function context(engine: FakeEngine, jobSpec: JobSpec, now: () => number = Date.now) {
  const lines: { stream: LogStream; text: string }[] = [];
  const phases: string[] = [];
  const timeline: string[] = [];
  const ctx: JobContext = {
    spec: jobSpec,
    engine,
    signal: new AbortController().signal,
    workDir: mkdtempSync(join(tmpdir(), 'berth-jobs-')),
    log: (stream, text) => lines.push({ stream, text }),
    logRoom: () => null,
    phase: (name) => timeline.push(name),
    setPhase: (phase) => phases.push(phase),
    recordStopped: () => Promise.resolve(),
    report: () => undefined,
    now,
    sleep: () => Promise.resolve(),
  };
  return { ctx, lines, phases, timeline };
}

function publish(engine: FakeEngine, reference: string, digestHex: string) {
  const id = engine.newImageId();
  const name = reference.split(':').slice(0, -1).join(':');
  engine.registry.set(reference, {
    id,
    tags: [reference],
    repoDigests: [`${name}@sha256:${digestHex}`],
    labels: {},
  });
  return id;
}

describe('deploying an image service', () => {
  it('pulls, starts the container with env, ports and labels, and records the digest', async () => {
    const engine = new FakeEngine();
    const imageId = publish(engine, '127.0.0.1:5000/web:v1', 'a'.repeat(64));
    const { ctx, lines, timeline } = context(engine, spec());
    const outcome = await runDeployJob(ctx);
    expect(timeline).toEqual(['reuse', 'pull', 'create', 'start', 'healthcheck', 'cleanup']);
    expect(outcome).toMatchObject({
      status: 'succeeded',
      result: { imageId, digest: `sha256:${'a'.repeat(64)}` },
    });
    const [container] = engine.running();
    expect(container?.spec.env).toEqual({ SECRET: 'hunter2' });
    expect(container?.labels).toMatchObject({
      [LABELS.service]: 'svc1',
      [LABELS.deployment]: 'dep1',
    });
    expect(lines.some((l) => l.text.includes('hunter2'))).toBe(false);
  });

  it('with cache uses the local image; without cache pulls again', async () => {
    const engine = new FakeEngine();
    publish(engine, '127.0.0.1:5000/web:v1', 'a'.repeat(64));
    await runDeployJob(context(engine, spec()).ctx);
    expect(engine.pulls).toHaveLength(1);
    await runDeployJob(context(engine, spec({}, 2)).ctx);
    expect(engine.pulls).toHaveLength(1);
    const noCache = spec({}, 3);
    noCache.deployment!.cache = 'none';
    await runDeployJob(context(engine, noCache).ctx);
    expect(engine.pulls).toHaveLength(2);
  });
});

describe('a release that fails its health check', () => {
  it('puts the previous release back and says why', async () => {
    const engine = new FakeEngine();
    publish(engine, '127.0.0.1:5000/web:v1', 'a'.repeat(64));
    await runDeployJob(context(engine, spec()).ctx);
    const bad = publish(engine, '127.0.0.1:5000/web:v2', 'b'.repeat(64));
    engine.crashing.set(bad, 3);

    const next = spec({}, 2);
    next.service.source = { type: 'image', image: '127.0.0.1:5000/web:v2' };
    const { ctx, lines, timeline } = context(engine, next);
    const outcome = await runDeployJob(ctx);
    expect(outcome.status).toBe('failed');
    expect(timeline.slice(-2)).toEqual(['healthcheck', 'restore']);
    expect('error' in outcome && outcome.error).toMatch(
      /exited with status 3.*Deployment #1 was restored/,
    );
    expect(engine.running().map((c) => c.labels[LABELS.deployment])).toEqual(['dep1']);
    expect(engine.containers.size).toBe(1);
    expect(lines.map((l) => l.text)).toEqual(
      expect.arrayContaining(['Restored deployment #1', 'boom: cannot start']),
    );
  });

  it('on success removes the previous container but keeps its image', async () => {
    const engine = new FakeEngine();
    const first = publish(engine, '127.0.0.1:5000/web:v1', 'a'.repeat(64));
    await runDeployJob(context(engine, spec()).ctx);
    publish(engine, '127.0.0.1:5000/web:v2', 'b'.repeat(64));
    const next = spec({}, 2);
    next.service.source = { type: 'image', image: '127.0.0.1:5000/web:v2' };
    // Each reading of the clock is 100 ms after the last: the gap is counted in readings.
    let clock = 0;
    const { ctx, lines } = context(engine, next, () => (clock += 100));
    const outcome = await runDeployJob(ctx);
    expect(outcome.status).toBe('succeeded');
    // Host ports are handed over: the old release stops before the new one answers.
    expect(outcome.result.unavailableMs).toBeGreaterThan(0);
    expect(outcome.result.unavailableMs! % 100).toBe(0);
    expect(lines.map((l) => l.text)).toContain(
      `Switched releases; the service was unavailable for ${outcome.result.unavailableMs} ms`,
    );
    expect(engine.running().map((c) => c.labels[LABELS.deployment])).toEqual(['dep2']);
    expect(engine.containers.size).toBe(1);
    expect(engine.images.has(first)).toBe(true);
  });
});

describe('rollback, restart and stop', () => {
  it('rolls back to an exact image id without pulling', async () => {
    const engine = new FakeEngine();
    const first = publish(engine, '127.0.0.1:5000/web:v1', 'a'.repeat(64));
    await runDeployJob(context(engine, spec()).ctx);
    const rollback = spec({}, 2);
    rollback.deployment = { ...rollback.deployment!, trigger: 'rollback', imageId: first };
    const pullsBefore = engine.pulls.length;
    const outcome = await runDeployJob(context(engine, rollback).ctx);
    expect(outcome).toMatchObject({ status: 'succeeded', result: { imageId: first } });
    expect(engine.pulls.length).toBe(pullsBefore);
  });

  it('fails a rollback to an image that is gone, with a clear reason', async () => {
    const engine = new FakeEngine();
    const rollback = spec();
    rollback.deployment = { ...rollback.deployment!, trigger: 'rollback', imageId: 'sha256:gone' };
    await expect(runDeployJob(context(engine, rollback).ctx)).rejects.toThrow(
      /no longer on this node/,
    );
  });

  it('stops, then restarts the current release', async () => {
    const engine = new FakeEngine();
    const imageId = publish(engine, '127.0.0.1:5000/web:v1', 'a'.repeat(64));
    await runDeployJob(context(engine, spec()).ctx);
    await runStopJob(context(engine, spec({ kind: 'stop' })).ctx);
    expect(engine.running()).toHaveLength(0);
    const restart = spec({ kind: 'restart' });
    restart.deployment = { ...restart.deployment!, imageId };
    expect((await runRestartJob(context(engine, restart).ctx)).status).toBe('succeeded');
    expect(engine.running()).toHaveLength(1);
  });
});
