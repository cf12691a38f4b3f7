import { createHash } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { agentReleaseFromDir } from '../agent-release.js';
import { shellQuote } from './install.js';
import { createTestApp } from './testing.js';

const SCRIPT = '#!/usr/bin/env bash\nset -euo pipefail\nSERVED_CONTROL_PLANE_URL=""\necho hi\n';

function releaseDir(files: { script?: string; version?: string } = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'berth-release-'));
  const bundle = Buffer.from('not really a tarball, but bytes all the same');
  const sha256 = createHash('sha256').update(bundle).digest('hex');
  writeFileSync(join(dir, 'install.sh'), files.script ?? SCRIPT);
  writeFileSync(join(dir, 'berth-agent.tar.gz'), bundle);
  const manifest = {
    version: files.version ?? '0.2.0',
    file: 'berth-agent.tar.gz',
    sha256,
    bytes: bundle.length,
  };
  writeFileSync(join(dir, 'manifest.json'), JSON.stringify(manifest));
  return { dir, bundle, sha256, release: agentReleaseFromDir(dir) };
}

describe('GET /install.sh', () => {
  it('fills in the public URL derived from the request, without a token', async () => {
    const { release } = releaseDir();
    const { call } = await createTestApp({ agentRelease: release });
    const res = await call('GET', '/install.sh', {
      token: null,
      headers: { host: 'berth.example.com:8443', 'x-forwarded-proto': 'https' },
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('text/plain');
    expect(res.headers.get('cache-control')).toBe('no-store');
    expect(res.text).toBe(SCRIPT.replace('URL=""', "URL='https://berth.example.com:8443'"));
  });

  it('prefers BERTH_PUBLIC_URL and quotes it for the shell', async () => {
    const { release } = releaseDir();
    const { call } = await createTestApp({
      agentRelease: release,
      publicUrl: "https://cp.example.org/it's",
    });
    const res = await call('GET', '/install.sh', { token: null, headers: { host: 'evil.test' } });
    expect(res.text).toContain(`SERVED_CONTROL_PLANE_URL='https://cp.example.org/it'\\''s'\n`);
    expect(res.text).not.toContain('evil.test');
  });

  it('answers 503 naming the fix before anything is built', async () => {
    const { call } = await createTestApp();
    const res = await call('GET', '/install.sh', { token: null });
    expect(res.status).toBe(503);
    expect(res.json.error.code).toBe('NOT_BUILT');
    expect(res.json.error.message).toContain('pnpm build');
  });

  it('refuses an installer that has no URL line to fill in', async () => {
    const { release } = releaseDir({ script: '#!/bin/sh\necho no marker\n' });
    const { call } = await createTestApp({ agentRelease: release });
    const res = await call('GET', '/install.sh', { token: null });
    expect(res.status).toBe(503);
    expect(res.json.error.code).toBe('NOT_BUILT');
    expect(res.json.error.message).toContain('SERVED_CONTROL_PLANE_URL');
  });
});

describe('GET /agent/v1/bundle', () => {
  it('serves the manifest, the bundle and its sha256 in sha256sum format', async () => {
    const { release, bundle, sha256 } = releaseDir();
    const { call, app } = await createTestApp({ agentRelease: release });
    const manifest = await call('GET', '/agent/v1/bundle', { token: null });
    expect(manifest.json).toEqual({
      version: '0.2.0',
      file: 'berth-agent.tar.gz',
      sha256,
      bytes: bundle.length,
    });
    const file = await app.request('/agent/v1/bundle/berth-agent.tar.gz');
    expect(file.status).toBe(200);
    expect(file.headers.get('content-type')).toBe('application/gzip');
    expect(Buffer.from(await file.arrayBuffer())).toEqual(bundle);
    const sum = await call('GET', '/agent/v1/bundle/berth-agent.tar.gz.sha256', { token: null });
    expect(sum.text).toBe(`${sha256}  berth-agent.tar.gz\n`);
    const other = await call('GET', '/agent/v1/bundle/main.js', { token: null });
    expect(other.status).toBe(404);
  });

  it('answers 503 when the bundle is not built', async () => {
    const { call } = await createTestApp();
    expect((await call('GET', '/agent/v1/bundle', { token: null })).status).toBe(503);
    const file = await call('GET', '/agent/v1/bundle/berth-agent.tar.gz', { token: null });
    expect(file.status).toBe(503);
  });
});

describe('servers and the served agent version', () => {
  it('flags servers whose agent is older than the bundle', async () => {
    const { release } = releaseDir({ version: '0.2.0' });
    const { call, addServer } = await createTestApp({ agentRelease: release });
    await addServer('srv_old'); // reports 0.1.0
    const res = await call('GET', '/api/v1/servers/srv_old');
    expect(res.json).toMatchObject({ agentVersion: '0.1.0', outdated: true });
  });

  it('does not flag an agent as new as the bundle, or any agent when none is built', async () => {
    const { release } = releaseDir({ version: '0.1.0' });
    const built = await createTestApp({ agentRelease: release });
    await built.addServer('srv_a');
    expect((await built.call('GET', '/api/v1/servers')).json[0].outdated).toBe(false);
    const none = await createTestApp();
    await none.addServer('srv_b');
    expect((await none.call('GET', '/api/v1/servers')).json[0].outdated).toBe(false);
  });
});

describe('shellQuote', () => {
  it('keeps every character literal', () => {
    expect(shellQuote(`a'b$c\`d"e`)).toBe(`'a'\\''b$c\`d"e'`);
  });
});
