import { mkdtempSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { agentReleaseFromDir, isOlderVersion } from './agent-release.js';

describe('isOlderVersion', () => {
  it('compares dotted versions numerically', () => {
    expect(isOlderVersion('0.1.0', '0.1.1')).toBe(true);
    expect(isOlderVersion('0.9.0', '0.10.0')).toBe(true);
    expect(isOlderVersion('1.0.0', '0.10.0')).toBe(false);
    expect(isOlderVersion('0.2.0', '0.2.0')).toBe(false);
    expect(isOlderVersion('0.2.0-rc.1', '0.2.0')).toBe(true);
    expect(isOlderVersion('0.2.0', '0.2.0-rc.1')).toBe(false);
  });

  it('never guesses about unknown or unreadable versions', () => {
    expect(isOlderVersion(null, '0.1.0')).toBe(false);
    expect(isOlderVersion('0.1.0', null)).toBe(false);
    expect(isOlderVersion('dev', '0.1.0')).toBe(false);
  });
});

describe('agentReleaseFromDir', () => {
  it('reads nothing from a directory that was never built', async () => {
    const release = agentReleaseFromDir('/nonexistent/berth/release');
    expect(await release.manifest()).toBeNull();
    expect(await release.installScript()).toBeNull();
    expect(await release.bundle()).toBeNull();
  });

  it('ignores a malformed manifest, and picks up a rebuilt one', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'berth-release-'));
    writeFileSync(join(dir, 'manifest.json'), '{"version": 1}');
    const release = agentReleaseFromDir(dir);
    expect(await release.manifest()).toBeNull();
    const manifest = { version: '0.3.0', file: 'b.tar.gz', sha256: 'a'.repeat(64), bytes: 1 };
    writeFileSync(join(dir, 'manifest.json'), JSON.stringify(manifest));
    // A rewrite within the same millisecond keeps the mtime; make the change visible.
    utimesSync(join(dir, 'manifest.json'), new Date(), new Date(Date.now() + 5_000));
    expect(await release.manifest()).toEqual(manifest);
    expect(await release.bundle()).toBeNull();
  });
});
