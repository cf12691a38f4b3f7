import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createTestApp } from './http/testing.js';
import { nodeRuntimeOf, type NodeRuntimeSource } from './node-runtime.js';

function fakeNode(bytes = 1500): NodeRuntimeSource {
  const dir = mkdtempSync(join(tmpdir(), 'berth-fake-node-'));
  const execPath = join(dir, 'node');
  writeFileSync(execPath, Buffer.alloc(bytes, 7));
  return { execPath, version: 'v20.1.2', platform: 'linux', arch: 'x64', sharedLibrary: false };
}

describe('nodeRuntimeOf', () => {
  it('packs the binary as nodejs.org does: <name>/bin/node, executable, gzipped', async () => {
    const source = fakeNode();
    const runtime = nodeRuntimeOf(source)!;
    expect(runtime.file).toBe('node-v20.1.2-linux-x64.tar.gz');
    const tarball = await runtime.tarball();
    const bytes = readFileSync(tarball.path);
    expect(tarball.sha256).toBe(createHash('sha256').update(bytes).digest('hex'));
    expect(tarball.bytes).toBe(bytes.length);
    const listing = execFileSync('tar', ['-tzvf', tarball.path]).toString();
    expect(listing).toMatch(/^-rwxr-xr-x .* 1500 .* node-v20\.1\.2-linux-x64\/bin\/node\n$/);
    const out = mkdtempSync(join(tmpdir(), 'berth-unpacked-'));
    execFileSync('tar', ['-xzf', tarball.path, '-C', out, '--strip-components=1']);
    expect(readFileSync(join(out, 'bin/node'))).toEqual(readFileSync(source.execPath));
    expect(statSync(join(out, 'bin/node')).mode & 0o777).toBe(0o755);
    expect(await runtime.tarball()).toBe(tarball); // packed once
    await runtime.close();
    expect(existsSync(tarball.path)).toBe(false);
  });

  it('offers nothing that would not run elsewhere', () => {
    expect(nodeRuntimeOf({ ...fakeNode(), platform: 'darwin' })).toBeNull();
    expect(nodeRuntimeOf({ ...fakeNode(), arch: 'ia32' })).toBeNull();
    expect(nodeRuntimeOf({ ...fakeNode(), sharedLibrary: true })).toBeNull();
  });
});

describe('GET /agent/v1/node', () => {
  it('serves SHASUMS256.txt and the tarball it names', async () => {
    const runtime = nodeRuntimeOf(fakeNode(70_000))!;
    const { call, app } = await createTestApp({ nodeRuntime: runtime });
    const sums = await call('GET', '/agent/v1/node/SHASUMS256.txt', { token: null });
    expect(sums.status).toBe(200);
    const [sha256, file] = sums.text.trim().split(/\s+/);
    expect(file).toBe(runtime.file);
    const res = await app.request(`/agent/v1/node/${runtime.file}`);
    expect(res.status).toBe(200);
    const body = Buffer.from(await res.arrayBuffer());
    expect(createHash('sha256').update(body).digest('hex')).toBe(sha256);
    expect((await call('GET', '/agent/v1/node/other.tar.gz', { token: null })).status).toBe(404);
    await runtime.close();
  });

  it('answers 404 naming the alternatives when it has no runtime to offer', async () => {
    const { call } = await createTestApp();
    const res = await call('GET', '/agent/v1/node/SHASUMS256.txt', { token: null });
    expect(res.status).toBe(404);
    expect(res.json.error.message).toContain('BERTH_NODE_MIRROR');
  });
});
