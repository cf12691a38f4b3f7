import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadConfig } from './config.js';

const PEM = [
  '-----BEGIN CERTIFICATE-----',
  'MIIBszCCAVmgAwIBAgIUZmFrZS1yb290LWZvci10ZXN0czAKBggqhkjOPQQDAjAA',
  '-----END CERTIFICATE-----',
  '',
].join('\n');

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'berth-acme-'));
});
afterEach(() => rm(dir, { recursive: true, force: true }));

describe('the ACME settings (BERTH_ACME_*)', () => {
  it('reads the directory URL, the email and the root PEM file, relative to the working dir', async () => {
    await writeFile(join(dir, 'root.pem'), PEM);
    const result = loadConfig(
      {
        BERTH_ACME_CA: 'https://10.0.0.1:14000/dir',
        BERTH_ACME_CA_ROOT: 'root.pem',
        BERTH_ACME_EMAIL: 'ops@example.com',
      },
      dir,
    );
    expect(result.ok && result.config.proxy).toEqual({
      acmeCa: 'https://10.0.0.1:14000/dir',
      acmeCaRootPem: PEM,
      acmeEmail: 'ops@example.com',
    });
  });

  it('names a bad URL, a bad email, and a root file that is missing or holds no certificate', async () => {
    const bad = loadConfig({ BERTH_ACME_CA: 'not a url', BERTH_ACME_EMAIL: 'nobody' }, dir);
    expect(bad.ok).toBe(false);
    const message = bad.ok ? '' : bad.message;
    expect(message).toContain('BERTH_ACME_CA: must be the URL of an ACME directory');
    expect(message).toContain('BERTH_ACME_EMAIL: must be an email address');

    const missing = loadConfig({ BERTH_ACME_CA_ROOT: join(dir, 'nope.pem') }, dir);
    expect(missing.ok ? '' : missing.message).toContain(
      `BERTH_ACME_CA_ROOT: cannot read ${join(dir, 'nope.pem')} (ENOENT)`,
    );

    await writeFile(
      join(dir, 'key.pem'),
      '-----BEGIN PRIVATE KEY-----\nabc\n-----END PRIVATE KEY-----\n',
    );
    const notACertificate = loadConfig({ BERTH_ACME_CA_ROOT: 'key.pem' }, dir);
    expect(notACertificate.ok ? '' : notACertificate.message).toContain(
      'holds no "-----BEGIN CERTIFICATE-----" block',
    );
  });

  it('leaves the proxy settings empty when nothing is set', () => {
    const result = loadConfig({ BERTH_ACME_CA: '', BERTH_ACME_EMAIL: '' }, dir);
    expect(result.ok && result.config.proxy).toEqual({});
  });
});
