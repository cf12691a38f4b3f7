import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { certificateStatuses, lastObtainError } from './certificates.js';

// A self-signed certificate for app.example.com that expires on 2027-12-02 at 15:42:01 UTC.
const APP_CERT = `-----BEGIN CERTIFICATE-----
MIIBdTCCARygAwIBAgIBATAKBggqhkjOPQQDAjAaMRgwFgYDVQQDDA9hcHAuZXhh
bXBsZS5jb20wHhcNMjYxMjAyMTU0MjAxWhcNMjcxMjAyMTU0MjAxWjAaMRgwFgYD
VQQDDA9hcHAuZXhhbXBsZS5jb20wWTATBgcqhkjOPQIBBggqhkjOPQMBBwNCAAQB
tXZLhjAsFKUH28YB9oKX23jVJyTPPA0DKGiJ5uUEARlQ4Uz8D0sdO7sovUhyANpW
e36kMiYpVZStOCfpuM99o1MwUTAdBgNVHQ4EFgQU7KHQZGAKXyxOuH5rb39gQqi0
J0EwHwYDVR0jBBgwFoAU7KHQZGAKXyxOuH5rb39gQqi0J0EwDwYDVR0TAQH/BAUw
AwEB/zAKBggqhkjOPQQDAgNHADBEAiANUNdgC2pVEb9iKYsCF6RQDSL8gnF96YTZ
gMTxVBV11gIgaxRL48NC5l3RIYyiZ4ArRe70q998JSrzSqDBlsu5mx8=
-----END CERTIFICATE-----
`;

const obtainError = (host: string, error: string) =>
  JSON.stringify({
    level: 'error',
    ts: 1796225797.49,
    logger: 'tls.obtain',
    msg: 'could not get certificate from issuer',
    identifier: host,
    issuer: 'acme-v02.api.letsencrypt.org-directory',
    error,
  });

describe('certificateStatuses', () => {
  let storage: string;
  beforeEach(async () => {
    storage = await mkdtemp(join(tmpdir(), 'berth-certs-'));
  });
  afterEach(() => rm(storage, { recursive: true, force: true }));

  async function store(issuer: string, host: string, pem: string) {
    await mkdir(join(storage, 'certificates', issuer, host), { recursive: true });
    await writeFile(join(storage, 'certificates', issuer, host, `${host}.crt`), pem);
  }

  it('reports a stored certificate as issued with its expiry, whatever its issuer', async () => {
    await store('local', 'app.example.com', APP_CERT);
    const statuses = await certificateStatuses({
      storageDir: storage,
      hosts: [{ serviceId: 'svc_a', host: 'app.example.com' }],
      recentLogs: () => Promise.reject(new Error('not needed')),
    });
    expect(statuses).toEqual([
      {
        serviceId: 'svc_a',
        host: 'app.example.com',
        certificate: 'issued',
        expiresAt: '2027-12-02T15:42:01.000Z',
      },
    ]);
  });

  it("reports a host without a certificate as failed when Caddy's log says why, else pending", async () => {
    await store('acme-v02.api.letsencrypt.org-directory', 'app.example.com', 'half written');
    const statuses = await certificateStatuses({
      storageDir: storage,
      hosts: [
        { serviceId: 'svc_a', host: 'app.example.com' },
        { serviceId: 'svc_b', host: 'b.example.com' },
      ],
      recentLogs: () =>
        Promise.resolve([
          '{"level":"info","logger":"tls.obtain","msg":"acquiring lock","identifier":"b.example.com"}',
          obtainError('app.example.com', 'HTTP 400 urn:ietf:params:acme:error:dns - NXDOMAIN'),
          'not json at all app.example.com tls.obtain',
        ]),
    });
    expect(statuses).toEqual([
      {
        serviceId: 'svc_a',
        host: 'app.example.com',
        certificate: 'failed',
        error:
          'could not get certificate from issuer: HTTP 400 urn:ietf:params:acme:error:dns - NXDOMAIN',
      },
      { serviceId: 'svc_b', host: 'b.example.com', certificate: 'pending' },
    ]);
  });

  it('counts a host as pending when the logs cannot be read', async () => {
    const statuses = await certificateStatuses({
      storageDir: join(storage, 'missing'),
      hosts: [{ serviceId: 'svc_a', host: 'app.example.com' }],
      recentLogs: () => Promise.reject(new Error('no such container')),
    });
    expect(statuses).toEqual([
      { serviceId: 'svc_a', host: 'app.example.com', certificate: 'pending' },
    ]);
  });
});

describe('lastObtainError', () => {
  it('takes the latest error naming the host, in the identifier or the error text', () => {
    const lines = [
      obtainError('app.example.com', 'first failure'),
      JSON.stringify({
        level: 'error',
        logger: 'tls.obtain',
        msg: 'will retry',
        error: '[app.example.com] Obtain: timeout',
      }),
      obtainError('other.example.com', 'not this one'),
    ];
    expect(lastObtainError(lines, 'app.example.com')).toBe(
      'will retry: [app.example.com] Obtain: timeout',
    );
    expect(lastObtainError(lines, 'www.example.com')).toBeNull();
  });
});
