import { describe, expect, it } from 'vitest';
import type { Logger } from '../log.js';
import { addEnvironment, createTestApp } from './testing.js';

async function setup(options: { log?: Logger } = {}) {
  const t = await createTestApp(options);
  const env = await addEnvironment(t);
  const createService = (body: unknown) =>
    t.call('POST', `/api/v1/environments/${env.id}/services`, { body });
  return { ...t, env, createService };
}

const gitSource = { type: 'git', repository: 'https://example.com/shop.git', ref: 'main' };

describe('POST /api/v1/environments/:id/services', () => {
  it('creates a never-deployed service with defaults filled in', async () => {
    const { createService, env, call } = await setup();
    const res = await createService({ name: 'web', source: gitSource, env: { PORT: '8080' } });
    expect(res.status).toBe(201);
    expect(res.json).toEqual({
      id: expect.stringMatching(/^svc_/),
      environmentId: env.id,
      name: 'web',
      source: { ...gitSource, dockerfile: 'Dockerfile', context: '.' },
      ports: [],
      env: { PORT: '8080' },
      healthcheck: { type: 'running', seconds: 3 },
      status: 'never-deployed',
      primaryAction: 'deploy',
      currentDeploymentId: null,
      domains: [],
      drainSeconds: 30,
      deployOnPush: false,
    });
    expect((await call('GET', `/api/v1/services/${res.json.id}`)).json).toEqual(res.json);
    expect((await call('GET', `/api/v1/environments/${env.id}/services`)).json).toEqual([res.json]);
  });

  const cases: [string, unknown, string, string][] = [
    [
      'a ref starting with "-"',
      { source: { ...gitSource, ref: '--upload-pack=touch /tmp/x' } },
      'source.ref',
      'must not start with "-"',
    ],
    [
      'a bad image',
      { source: { type: 'image', image: 'Not An Image!' } },
      'source.image',
      'must be an image reference',
    ],
    [
      'a port out of range',
      { source: gitSource, ports: [{ container: 80, host: 70000 }] },
      'ports.0.host',
      '',
    ],
    [
      'a dockerfile escaping the checkout',
      { source: { ...gitSource, dockerfile: '../x' } },
      'source.dockerfile',
      'must stay inside the repository checkout',
    ],
    [
      'a context escaping the checkout',
      { source: { ...gitSource, context: 'a/../../etc' } },
      'source.context',
      'must stay inside the repository checkout',
    ],
    [
      'a bad env name',
      { source: gitSource, env: { '1BAD-NAME': 'x' } },
      'env',
      'must be a valid variable name',
    ],
    [
      'a bad repository',
      { source: { ...gitSource, repository: 'file:///etc' } },
      'source.repository',
      'must be an https://',
    ],
    [
      'a bad healthcheck',
      { source: gitSource, healthcheck: { type: 'http', port: 0 } },
      'healthcheck.port',
      '',
    ],
  ];
  it.each(cases)('answers 400 naming the field for %s', async (_label, partial, path, message) => {
    const { createService } = await setup();
    const res = await createService({ name: 'web', ...(partial as object) });
    expect(res.status).toBe(400);
    expect(res.json.error.code).toBe('INVALID_INPUT');
    const field = res.json.error.fields.find((f: { path: string }) => f.path.startsWith(path));
    expect(field, JSON.stringify(res.json.error.fields)).toBeDefined();
    expect(field.message).toContain(message);
    expect(res.json.error.message).toContain(`${field.path}: ${field.message}`);
  });

  it('answers 404 for an unknown environment', async () => {
    const { call } = await setup();
    const res = await call('POST', '/api/v1/environments/env_nope/services', {
      body: { name: 'x', source: gitSource },
    });
    expect(res.status).toBe(404);
    expect(res.json.error.code).toBe('NOT_FOUND');
  });
});

describe('PATCH /api/v1/services/:id', () => {
  it('replaces the given fields and keeps the rest', async () => {
    const { createService, call } = await setup();
    const created = (await createService({ name: 'web', source: gitSource, env: { A: '1' } })).json;
    const res = await call('PATCH', `/api/v1/services/${created.id}`, {
      body: { source: { ...gitSource, ref: 'v1.2.0' }, ports: [{ container: 80, host: 8080 }] },
    });
    expect(res.status).toBe(200);
    expect(res.json.source.ref).toBe('v1.2.0');
    expect(res.json.ports).toEqual([{ container: 80, host: 8080, hostIp: '0.0.0.0' }]);
    expect(res.json.env).toEqual({ A: '1' });
    expect((await call('GET', `/api/v1/services/${created.id}`)).json).toEqual(res.json);
  });

  it('refuses bad input without changing the service, and 404s unknown ids', async () => {
    const { createService, call } = await setup();
    const created = (await createService({ name: 'web', source: gitSource })).json;
    const bad = await call('PATCH', `/api/v1/services/${created.id}`, {
      body: { source: { ...gitSource, ref: '-x' } },
    });
    expect(bad.status).toBe(400);
    expect(bad.json.error.fields).toEqual([
      { path: 'source.ref', message: 'must not start with "-"' },
    ]);
    expect((await call('GET', `/api/v1/services/${created.id}`)).json).toEqual(created);
    expect((await call('PATCH', '/api/v1/services/svc_nope', { body: {} })).status).toBe(404);
    expect((await call('GET', '/api/v1/services/svc_nope')).status).toBe(404);
  });

  it('never logs env values', async () => {
    const lines: string[] = [];
    const log: Logger = {
      info: (m) => lines.push(m),
      warn: (m) => lines.push(m),
      error: (m) => lines.push(m),
    };
    const { createService, call } = await setup({ log });
    const created = (
      await createService({ name: 'web', source: gitSource, env: { SECRET: 'hunter2-value' } })
    ).json;
    await call('PATCH', `/api/v1/services/${created.id}`, {
      body: { env: { SECRET: 'hunter3-value', 'bad name': 'hunter4' } },
    });
    expect(lines.join('\n')).not.toMatch(/hunter/);
  });
});
