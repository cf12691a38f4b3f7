import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { LogLine } from '@berth/protocol';
import { Hono } from 'hono';
import { describe, expect, it } from 'vitest';
import { ContainerLogRelay } from '../hub/container-log-relay.js';
import { silentLogger } from '../log.js';
import { JobQueue } from '../queue/job-queue.js';
import { QueueEvents } from '../queue/queue-events.js';
import { LogFiles } from '../store/log-files.js';
import { openMemoryStore } from '../store/store.js';
import { deploymentRoutes } from './deployments.js';
import { createErrorHandler } from './errors.js';

/** The deployment routes alone, with a log already stored for one queued deployment. */
async function withStoredLog(lines: LogLine[]) {
  const store = await openMemoryStore({ now: () => Date.now() });
  const logs = new LogFiles(await mkdtemp(join(tmpdir(), 'berth-log-streams-')));
  await logs.init();
  const sessions = { isConnected: () => false, send: () => false };
  const events = new QueueEvents();
  const queue = new JobQueue({
    store,
    sessions,
    now: () => Date.now(),
    log: silentLogger,
    logs,
    events,
    maxParallelPerServer: 2,
    deployDeadlineMs: 60_000,
    controlDeadlineMs: 60_000,
    backupDeadlineMs: 3_600_000,
    lostJobGraceMs: 60_000,
    queueTimeoutMs: 60_000,
  });
  const app = new Hono();
  app.onError(createErrorHandler(silentLogger));
  app.route(
    '/api/v1',
    deploymentRoutes({
      store,
      queue,
      logs,
      events,
      containerLogs: new ContainerLogRelay(sessions),
    }),
  );
  await store.joinTokens.create({ tokenHash: 'h', ttlSeconds: 3600, now: Date.now() });
  const server = await store.servers.enroll({
    id: 'srv_1',
    tokenHash: 'h',
    name: 'srv',
    publicKey: 'unused',
    agentVersion: '0.1.0',
  });
  if (!server.ok) throw new Error(server.reason);
  const project = await store.projects.create({ name: 'p' });
  const environment = await store.environments.create({
    projectId: project.id,
    name: 'prod',
    serverId: 'srv_1',
  });
  const service = await store.services.create(environment.id, {
    name: 'web',
    source: { type: 'image', image: 'reg.test/web:v1' },
    ports: [],
    env: {},
    healthcheck: { type: 'running', seconds: 3 },
  });
  const action = await queue.deploy(service.id, 'use-existing');
  await logs.append(action.job.id, lines);
  const get = async (query: string) => {
    const res = await app.request(`/api/v1/deployments/${action.deployment!.id}/logs${query}`);
    return { res, text: await res.text() };
  };
  return { get, app, logs, queue, jobId: action.job.id, deploymentId: action.deployment!.id };
}

const lines = Array.from({ length: 50 }, (_, i): LogLine => ({
  seq: i + 1,
  ts: '2026-01-01T00:00:00.000Z',
  stream: 'build',
  text: `\u001b[32mline ${i + 1}\u001b[0m`,
}));

const seqs = (text: string) =>
  text
    .trim()
    .split('\n')
    .map((l) => (JSON.parse(l) as { seq: number }).seq);

describe('deployment log reads', () => {
  it('pages with after and limit, and serves the tail', async () => {
    const { get } = await withStoredLog(lines);
    expect(seqs((await get('?after=10&limit=5')).text)).toEqual([11, 12, 13, 14, 15]);
    expect(seqs((await get('?tail=3')).text)).toEqual([48, 49, 50]);
    expect(seqs((await get('')).text)).toEqual(lines.map((l) => l.seq));
    expect((await get('?limit=0')).res.status).toBe(400);
  });

  it('serves the whole log as a text file to download', async () => {
    const { get } = await withStoredLog(lines);
    const { res, text } = await get('?format=text');
    expect(res.headers.get('content-type')).toContain('text/plain');
    expect(res.headers.get('content-disposition')).toBe('attachment; filename="deployment-1.log"');
    expect(text).toBe(lines.map((l) => `${l.text}\n`).join(''));
  });

  it('passes fields it does not know through, as stored', async () => {
    const marked = { ...lines[0]!, continued: true } as LogLine;
    const { get } = await withStoredLog([marked]);
    expect(JSON.parse((await get('')).text)).toEqual(marked);
  });

  it('follows: the stored lines, then new ones, each seq once and in order, then one end', async () => {
    const t = await withStoredLog(lines.slice(0, 20));
    const res = await t.app.request(`/api/v1/deployments/${t.deploymentId}/logs?follow=1&after=5`);
    expect(res.headers.get('content-type')).toContain('text/event-stream');
    const reader = res.body!.pipeThrough(new TextDecoderStream()).getReader();
    let text = '';
    const until = async (done: (text: string) => boolean) => {
      while (!done(text)) {
        const chunk = await reader.read();
        if (chunk.done) return;
        text += chunk.value;
      }
    };
    await until((seen) => seen.includes('id: 20\n'));
    // A resend overlapping what was stored, and new lines.
    await t.logs.append(t.jobId, lines.slice(15, 40));
    await until((seen) => seen.includes('id: 40\n'));
    // More than a follower holds in memory at once: it reads them back from the file.
    const many = Array.from({ length: 12_000 }, (_, i) => ({ ...lines[0]!, seq: 41 + i }));
    await t.logs.append(t.jobId, many);
    await until((seen) => seen.includes('id: 12040\n'));
    await t.queue.cancelDeployment(t.deploymentId);
    await until((seen) => seen.includes('event: end'));
    await until(() => false);
    const ids = [...text.matchAll(/^id: (\d+)$/gm)].map((m) => Number(m[1]));
    expect(ids).toEqual(Array.from({ length: 12_035 }, (_, i) => i + 6));
    expect(text.match(/event: end\ndata: (.*)/g)).toEqual([
      'event: end\ndata: {"status":"cancelled"}',
    ]);
  });
});
