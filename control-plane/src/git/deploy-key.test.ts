import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { generateDeployKey, keyFingerprint } from './deploy-key.js';

describe('generateDeployKey', () => {
  it('writes a private key OpenSSH loads, whose public half is the one shown', () => {
    const key = generateDeployKey('berth-gcr_test');
    expect(key.publicKey).toMatch(
      /^ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAI[A-Za-z0-9+/]+ berth-gcr_test$/,
    );
    const file = join(mkdtempSync(join(tmpdir(), 'berth-key-')), 'id');
    writeFileSync(file, key.privateKey, { mode: 0o600 });
    const derived = execFileSync('ssh-keygen', ['-y', '-f', file], { encoding: 'utf8' }).trim();
    expect(derived).toBe(key.publicKey);
    const printed = execFileSync('ssh-keygen', ['-l', '-f', file], { encoding: 'utf8' });
    expect(printed).toContain(keyFingerprint(key.publicKey.split(' ')[1]!));
  });

  it('makes a different key each time', () => {
    expect(generateDeployKey('a').publicKey).not.toBe(generateDeployKey('a').publicKey);
  });
});
