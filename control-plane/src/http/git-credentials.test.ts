import { describe, expect, it } from 'vitest';
import { jobSpec } from '../queue/dispatcher.js';
import { addEnvironment, createTestApp } from './testing.js';

const HOST_KEY =
  '[127.0.0.1]:2222 ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl';

async function setup() {
  const t = await createTestApp({ withQueue: true });
  const env = await addEnvironment(t);
  const createService = (source: unknown) =>
    t.call('POST', `/api/v1/environments/${env.id}/services`, { body: { name: 'web', source } });
  return { ...t, createService };
}

describe('/api/v1/git-credentials', () => {
  it('makes a deploy key, shows its public half and never the private one', async () => {
    const { call, store } = await setup();
    const res = await call('POST', '/api/v1/git-credentials', {
      body: { type: 'ssh', name: 'shop deploy key', knownHosts: `# pinned\n${HOST_KEY}\n` },
    });
    expect(res.status).toBe(201);
    expect(res.json).toEqual({
      id: expect.stringMatching(/^gcr_/),
      type: 'ssh',
      name: 'shop deploy key',
      publicKey: expect.stringMatching(/^ssh-ed25519 AAAA\S+ berth-gcr_\w+$/),
      hostKeys: [
        {
          host: '[127.0.0.1]:2222',
          keyType: 'ssh-ed25519',
          fingerprint: 'SHA256:+DiY3wvvV6TuJJhbpZisF/zLDA0zPMSvHdkr4UvCOqU',
          origin: 'pinned',
          addedAt: expect.any(String),
        },
      ],
      usedBy: [],
      createdAt: expect.any(String),
    });
    expect(res.json.publicKey).toContain(res.json.id);
    const stored = store.gitCredentials.get(res.json.id);
    expect(stored?.type === 'ssh' && stored.privateKey).toContain('BEGIN OPENSSH PRIVATE KEY');
    const all = (await call('GET', '/api/v1/git-credentials')).text;
    expect(all).not.toContain('PRIVATE KEY');
  });

  it('keeps a token but answers only the username', async () => {
    const { call } = await setup();
    const body = { type: 'https', username: 'deploy', token: 'tok-secret-123' };
    const res = await call('POST', '/api/v1/git-credentials', { body });
    expect(res.status).toBe(201);
    expect(res.json).toMatchObject({ type: 'https', username: 'deploy' });
    for (const path of ['/api/v1/git-credentials', `/api/v1/git-credentials/${res.json.id}`])
      expect((await call('GET', path)).text).not.toContain('tok-secret-123');
    const patched = await call('PATCH', `/api/v1/git-credentials/${res.json.id}`, {
      body: { token: 'tok-rotated' },
    });
    expect(patched.status).toBe(200);
    expect(patched.text).not.toContain('tok-rotated');
  });

  it('names bad input', async () => {
    const { call } = await setup();
    const cases: [unknown, string][] = [
      [{ type: 'ssh', knownHosts: 'github.com ssh-ed25519 not-base64!' }, 'knownHosts.0'],
      [{ type: 'https', username: 'a:b', token: 't' }, 'username'],
      [{ type: 'https', username: 'a', token: 'line\nbreak' }, 'token'],
      [{ type: 'https', username: 'a' }, 'token'],
      [{ type: 'ftp' }, 'type'],
    ];
    for (const [body, path] of cases) {
      const res = await call('POST', '/api/v1/git-credentials', { body });
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect(res.json.error.fields.map((f: { path: string }) => f.path)).toContain(path);
    }
    expect((await call('GET', '/api/v1/git-credentials/gcr_nope')).status).toBe(404);
  });

  it('checks a source’s credential, refuses to delete one in use, and sends it only to a fetch', async () => {
    const { call, createService, store, deployments } = await setup();
    const ssh = (await call('POST', '/api/v1/git-credentials', { body: { type: 'ssh' } })).json;
    const https = (
      await call('POST', '/api/v1/git-credentials', {
        body: { type: 'https', username: 'u', token: 'tok-abc' },
      })
    ).json;
    const sshUrl = 'ssh://git@127.0.0.1:2222/srv/app.git';
    const wrongKind = await createService({
      type: 'git',
      repository: 'https://h/app.git',
      ref: 'main',
      credentialId: ssh.id,
    });
    expect(wrongKind.status).toBe(400);
    expect(wrongKind.json.error.message).toContain('SSH deploy key');
    const missing = await createService({
      type: 'git',
      repository: sshUrl,
      ref: 'main',
      credentialId: 'gcr_x',
    });
    expect(missing.status).toBe(400);
    expect(
      (
        await createService({
          type: 'git',
          repository: 'git@h:app.git',
          ref: 'main',
          credentialId: https.id,
        })
      ).status,
    ).toBe(400);

    const service = (
      await createService({ type: 'git', repository: sshUrl, ref: 'main', credentialId: ssh.id })
    ).json;
    expect(service.source.credentialId).toBe(ssh.id);
    expect((await call('GET', `/api/v1/git-credentials/${ssh.id}`)).json.usedBy).toEqual([
      service.id,
    ]);
    const del = await call('DELETE', `/api/v1/git-credentials/${ssh.id}`);
    expect(del.status).toBe(409);
    expect(del.json.error.message).toContain(service.id);
    expect((await call('DELETE', `/api/v1/git-credentials/${https.id}`)).status).toBe(204);

    const { job } = await deployments!.queue.deploy(service.id, 'use-existing');
    const spec = await jobSpec({ store }, job);
    expect(spec.gitAuth).toMatchObject({ type: 'ssh', credentialId: ssh.id, knownHosts: [] });
    expect(spec.gitAuth?.type === 'ssh' && spec.gitAuth.privateKey).toContain(
      'OPENSSH PRIVATE KEY',
    );

    // The first fetch's host key is kept, and a later report never replaces it.
    await store.gitCredentials.learnHostKeys(ssh.id, [HOST_KEY]);
    const other = HOST_KEY.replace('AAAAIOMq', 'AAAAIOMr');
    await store.gitCredentials.learnHostKeys(ssh.id, [other]);
    const shown = (await call('GET', `/api/v1/git-credentials/${ssh.id}`)).json;
    expect(shown.hostKeys).toEqual([
      expect.objectContaining({ origin: 'learned', host: '[127.0.0.1]:2222' }),
    ]);
    expect((await jobSpec({ store }, job)).gitAuth).toMatchObject({ knownHosts: [HOST_KEY] });
  });
});
