import { describe, expect, it } from 'vitest';
import { createTestApp } from './testing.js';

async function setup() {
  const t = await createTestApp({ withQueue: true });
  const server = await t.addServer();
  const project = await t.call('POST', '/api/v1/projects', { body: { name: 'p' } });
  const env = await t.call('POST', `/api/v1/projects/${project.json.id}/environments`, {
    body: { name: 'prod', serverId: server.id },
  });
  const service = await t.call('POST', `/api/v1/environments/${env.json.id}/services`, {
    body: { name: 'web', source: { type: 'image', image: 'reg.test/web:v1' } },
  });
  return { ...t, serviceId: service.json.id as string };
}

describe('deployment routes', () => {
  it('answers an action with 202 Added to queue, the job and the deployment', async () => {
    const t = await setup();
    const res = await t.call('POST', `/api/v1/services/${t.serviceId}/deployments`, {
      body: { cache: 'none' },
    });
    expect(res.status).toBe(202);
    expect(res.json).toMatchObject({
      message: 'Added to queue',
      job: { kind: 'deploy', status: 'queued', serviceId: t.serviceId },
      deployment: { number: 1, status: 'queued', cache: 'none', trigger: 'deploy' },
    });
    expect(res.json.job.deploymentId).toBe(res.json.deployment.id);
    expect(res.json.deployment.jobId).toBeUndefined();
    expect((await t.call('GET', `/api/v1/jobs/${res.json.job.id}`)).json).toEqual(res.json.job);
  });

  it('validates the cache mode and answers 404 for unknown ids', async () => {
    const t = await setup();
    const bad = await t.call('POST', `/api/v1/services/${t.serviceId}/deployments`, {
      body: { cache: 'some' },
    });
    expect(bad.status).toBe(400);
    expect(bad.json.error.fields[0].path).toBe('cache');
    for (const path of [
      '/api/v1/services/svc_x/deployments',
      '/api/v1/services/svc_x/restart',
      '/api/v1/deployments/dep_x/rollback',
    ]) {
      expect((await t.call('POST', path)).status).toBe(404);
    }
    expect((await t.call('GET', '/api/v1/jobs/job_x')).status).toBe(404);
    expect((await t.call('GET', '/api/v1/deployments/dep_x/logs')).status).toBe(404);
  });

  it('lists history newest first, with limit and a before cursor (number or id)', async () => {
    const t = await setup();
    const ids: string[] = [];
    for (let i = 0; i < 4; i += 1) {
      ids.push(
        (await t.call('POST', `/api/v1/services/${t.serviceId}/deployments`)).json.deployment.id,
      );
    }
    const all = await t.call('GET', `/api/v1/services/${t.serviceId}/deployments`);
    expect(all.json.map((d: { number: number }) => d.number)).toEqual([4, 3, 2, 1]);
    const page = await t.call(
      'GET',
      `/api/v1/services/${t.serviceId}/deployments?limit=2&before=4`,
    );
    expect(page.json.map((d: { number: number }) => d.number)).toEqual([3, 2]);
    const byId = await t.call(
      'GET',
      `/api/v1/services/${t.serviceId}/deployments?before=${ids[1]}`,
    );
    expect(byId.json.map((d: { number: number }) => d.number)).toEqual([1]);
    expect(
      (await t.call('GET', `/api/v1/services/${t.serviceId}/deployments?limit=0`)).status,
    ).toBe(400);
  });

  it('refuses restart before a success, rollback of an unfinished deployment, and a second cancel', async () => {
    const t = await setup();
    const restart = await t.call('POST', `/api/v1/services/${t.serviceId}/restart`);
    expect(restart.status).toBe(409);
    expect(restart.json.error.code).toBe('NO_DEPLOYMENT');
    const queued = await t.call('POST', `/api/v1/services/${t.serviceId}/deployments`);
    const rollback = await t.call(
      'POST',
      `/api/v1/deployments/${queued.json.deployment.id}/rollback`,
    );
    expect(rollback.status).toBe(409);
    const cancel = await t.call('POST', `/api/v1/deployments/${queued.json.deployment.id}/cancel`);
    expect(cancel.status).toBe(202);
    expect(cancel.json.deployment.status).toBe('cancelled');
    expect(
      (await t.call('POST', `/api/v1/deployments/${queued.json.deployment.id}/cancel`)).status,
    ).toBe(409);
    const stop = await t.call('POST', `/api/v1/services/${t.serviceId}/stop`);
    expect(stop.status).toBe(202);
    expect(stop.json.job.kind).toBe('stop');
    expect(stop.json.deployment).toBeUndefined();
  });

  it('serves an empty NDJSON log for a deployment that has not started', async () => {
    const t = await setup();
    const queued = await t.call('POST', `/api/v1/services/${t.serviceId}/deployments`);
    const logs = await t.call('GET', `/api/v1/deployments/${queued.json.deployment.id}/logs`);
    expect(logs.status).toBe(200);
    expect(logs.headers.get('content-type')).toContain('application/x-ndjson');
    expect(logs.text).toBe('');
  });
});
