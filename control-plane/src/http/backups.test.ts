import { createHash, generateKeyPairSync, sign } from 'node:crypto';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { requestSigningPayload } from '@berth/protocol';
import { describe, expect, it } from 'vitest';
import { callHandler } from '../hub/agent-routes.js';
import { createTestApp } from './testing.js';

async function setup() {
  const t = await createTestApp({ withQueue: true });
  const { publicKey, privateKey } = generateKeyPairSync('ed25519');
  const spki = publicKey.export({ type: 'spki', format: 'der' }).toString('base64');
  await t.store.joinTokens.create({ tokenHash: 'h', ttlSeconds: 3600, now: t.clock.now() });
  const enrolled = await t.store.servers.enroll({
    id: 'srv_db',
    tokenHash: 'h',
    name: 'db-host',
    publicKey: spki,
    agentVersion: '0.1.0',
  });
  if (!enrolled.ok) throw new Error(enrolled.reason);
  const project = await t.call('POST', '/api/v1/projects', { body: { name: 'p' } });
  const env = await t.call('POST', `/api/v1/projects/${project.json.id}/environments`, {
    body: { name: 'prod', serverId: 'srv_db' },
  });
  const created = await t.call('POST', `/api/v1/environments/${env.json.id}/services`, {
    body: { name: 'Main DB', source: { type: 'database', engine: 'postgres' } },
  });
  expect(created.status).toBe(201);
  const service = created.json;

  /** An agent's signed request, as the agent makes it. */
  const agentRequest = (method: string, path: string, body?: Buffer, key = privateKey) => {
    const time = t.clock.now();
    const signature = sign(null, requestSigningPayload(method, path, 'srv_db', time), key).toString(
      'base64',
    );
    return t.app.request(path, {
      method,
      headers: { authorization: `Berth-Agent srv_db:${time}:${signature}` },
      ...(body ? { body: new Uint8Array(body) } : {}),
    });
  };
  const finish = (jobId: string, result: object, status = 'succeeded') =>
    callHandler(t.deployments!.queue.agentHandlers(), 'srv_db', {
      type: 'job.finished',
      jobId,
      status: status as 'succeeded',
      result,
      lastSeq: 0,
    });
  /** Marks the job running, as the dispatcher does when its server is connected. */
  const start = async (jobId: string) => {
    const { startJob } = await import('../queue/job-transitions.js');
    await t.store.history.updateJob(jobId, (u) => startJob(u, t.clock.now(), 60_000));
  };
  return { ...t, service, agentRequest, finish, start };
}

describe('database services', () => {
  it('get generated credentials, a connection on the environment network, and backup settings', async () => {
    const { service } = await setup();
    expect(service.env.POSTGRES_PASSWORD).toMatch(/^[A-Za-z0-9]{32}$/);
    expect(service.env.POSTGRES_USER).toBe('app');
    expect(service.exposed).toBe(false);
    expect(service.backup).toEqual({ schedule: null, keep: 7, verify: true });
    expect(service.connection).toMatchObject({
      host: 'main-db',
      port: 5432,
      user: 'app',
      database: 'app',
      password: service.env.POSTGRES_PASSWORD,
      internalUrl: `postgres://app:${service.env.POSTGRES_PASSWORD}@main-db:5432/app`,
    });
    expect(service.connection.publicUrl).toBeUndefined();
  });

  it('keep their engine, and only they take backup settings', async () => {
    const t = await setup();
    const swap = await t.call('PATCH', `/api/v1/services/${t.service.id}`, {
      body: { source: { type: 'database', engine: 'redis' } },
    });
    expect(swap.status).toBe(400);
    expect(swap.json.error.message).toMatch(/not engine/);
    const badCron = await t.call('PATCH', `/api/v1/services/${t.service.id}`, {
      body: { backup: { schedule: '99 99 * * *' } },
    });
    expect(badCron.status).toBe(400);
    const ok = await t.call('PATCH', `/api/v1/services/${t.service.id}`, {
      body: { backup: { schedule: '0 3 * * *', keep: 3 } },
    });
    expect(ok.status).toBe(200);
    expect(ok.json.backup).toEqual({ schedule: '0 3 * * *', keep: 3, verify: true });
  });

  it('refuse Stop while exposed with 409 EXPOSED, and stop once unexposed', async () => {
    const t = await setup();
    const expose = await t.call('POST', `/api/v1/services/${t.service.id}/expose`, { body: {} });
    expect(expose.status).toBe(202);
    expect(expose.json.message).toBe('Added to queue');
    expect(expose.json.job.kind).toBe('expose');
    await t.start(expose.json.job.id);
    await t.finish(expose.json.job.id, { publicPort: 21234 });
    const exposed = await t.call('GET', `/api/v1/services/${t.service.id}`);
    expect(exposed.json).toMatchObject({ exposed: true, publicPort: 21234 });
    expect(exposed.json.connection.publicUrl).toContain('@db-host:21234/app');

    const refused = await t.call('POST', `/api/v1/services/${t.service.id}/stop`);
    expect(refused.status).toBe(409);
    expect(refused.json.error.code).toBe('EXPOSED');
    expect(refused.json.error.message).toMatch(/unexpose it first/);

    const unexpose = await t.call('POST', `/api/v1/services/${t.service.id}/unexpose`);
    await t.start(unexpose.json.job.id);
    await t.finish(unexpose.json.job.id, {});
    expect((await t.call('GET', `/api/v1/services/${t.service.id}`)).json.exposed).toBe(false);
    expect((await t.call('POST', `/api/v1/services/${t.service.id}/stop`)).status).toBe(202);
  });

  it('refuse allowFrom with a clear error rather than ignoring it', async () => {
    const t = await setup();
    const res = await t.call('POST', `/api/v1/services/${t.service.id}/expose`, {
      body: { allowFrom: ['10.0.0.0/8'] },
    });
    expect(res.status).toBe(400);
    expect(res.json.error.message).toMatch(/allowFrom is not supported/);
  });
});

describe('backups', () => {
  const dump = Buffer.from('PGDMP fake dump bytes\n'.repeat(1000));
  const sha = createHash('sha256').update(dump).digest('hex');

  it('succeed when the stored upload matches what the agent read, and download byte for byte', async () => {
    const t = await setup();
    const queued = await t.call('POST', `/api/v1/services/${t.service.id}/backups`);
    expect(queued.status).toBe(202);
    expect(queued.json.backup).toMatchObject({ number: 1, status: 'queued', trigger: 'manual' });
    const backupId = queued.json.backup.id;
    await t.start(queued.json.job.id);

    const path = `/agent/v1/backups/${backupId}/file`;
    const upload = await t.agentRequest('PUT', path, dump);
    expect(upload.status).toBe(200);
    expect(await upload.json()).toEqual({ sha256: sha, sizeBytes: dump.length });
    await t.finish(queued.json.job.id, {
      backups: [
        {
          backupId,
          status: 'succeeded',
          sha256: sha,
          sizeBytes: dump.length,
          verifiedAt: new Date(t.clock.now()).toISOString(),
          counts: { 'public.items': 3 },
        },
      ],
    });
    const backup = (await t.call('GET', `/api/v1/backups/${backupId}`)).json;
    expect(backup).toMatchObject({ status: 'succeeded', sha256: sha, sizeBytes: dump.length });
    expect(backup.verifiedAt).toBeDefined();
    const download = await t.app.request(`/api/v1/backups/${backupId}/download`, {
      headers: { authorization: 'Bearer test-admin-token-0123456789' },
    });
    expect(Buffer.from(await download.arrayBuffer()).equals(dump)).toBe(true);
    const list = await t.call('GET', `/api/v1/services/${t.service.id}/backups`);
    expect(list.json.map((b: { id: string }) => b.id)).toEqual([backupId]);
  });

  it('fail when the agent read something else than what was stored', async () => {
    const t = await setup();
    const queued = await t.call('POST', `/api/v1/services/${t.service.id}/backups`);
    const backupId = queued.json.backup.id;
    await t.start(queued.json.job.id);
    await t.agentRequest('PUT', `/agent/v1/backups/${backupId}/file`, dump);
    await t.finish(queued.json.job.id, {
      backups: [
        {
          backupId,
          status: 'succeeded',
          sha256: 'f'.repeat(64),
          sizeBytes: dump.length,
          verifiedAt: 'x',
        },
      ],
    });
    const backup = (await t.call('GET', `/api/v1/backups/${backupId}`)).json;
    expect(backup.status).toBe('failed');
    expect(backup.error).toMatch(/is not what the agent read/);
    const job = (await t.call('GET', `/api/v1/jobs/${queued.json.job.id}`)).json;
    expect(job.status).toBe('failed');
  });

  it('refuse uploads that are not signed by the server that runs the backup', async () => {
    const t = await setup();
    const queued = await t.call('POST', `/api/v1/services/${t.service.id}/backups`);
    await t.start(queued.json.job.id);
    const path = `/agent/v1/backups/${queued.json.backup.id}/file`;
    const unsigned = await t.app.request(path, { method: 'PUT', body: dump });
    expect(unsigned.status).toBe(401);
    const other = generateKeyPairSync('ed25519').privateKey;
    expect((await t.agentRequest('PUT', path, dump, other)).status).toBe(401);
    // Signed for another path: the signature does not carry over.
    const time = t.clock.now();
    const wrong = await t.app.request(path, {
      method: 'PUT',
      body: dump,
      headers: { authorization: `Berth-Agent srv_db:${time}:${'A'.repeat(88)}` },
    });
    expect(wrong.status).toBe(401);
    const dir = t.backups!.files.pathOf({ ...queued.json.backup, format: 'pg_dump-custom' });
    const files = await readdir(join(dir, '..')).catch(() => []);
    expect(files).toEqual([]);
  });

  it('restore only succeeded backups, with a safety backup unless told otherwise', async () => {
    const t = await setup();
    const failed = await t.call('POST', `/api/v1/services/${t.service.id}/backups`);
    await t.start(failed.json.job.id);
    await t.finish(failed.json.job.id, {}, 'failed');
    const refused = await t.call('POST', `/api/v1/backups/${failed.json.backup.id}/restore`);
    expect(refused.status).toBe(409);
    expect(refused.json.error.code).toBe('NOT_SUCCEEDED');
  });
});
