import { generateKeyPairSync } from 'node:crypto';
import { PROTOCOL_VERSION } from '@berth/protocol';
import { describe, expect, it } from 'vitest';
import { createTestApp } from './testing.js';

const ed25519Key = () =>
  generateKeyPairSync('ed25519')
    .publicKey.export({ format: 'der', type: 'spki' })
    .toString('base64');

async function setup() {
  const t = await createTestApp();
  const created = await t.call('POST', '/api/v1/join-tokens', { body: { ttlSeconds: 600 } });
  const enroll = (overrides: Record<string, unknown> = {}) =>
    t.call('POST', '/agent/v1/enroll', {
      token: null,
      body: {
        joinToken: created.json.token,
        name: 'worker-1',
        publicKey: ed25519Key(),
        agentVersion: '0.1.0',
        protocolVersion: PROTOCOL_VERSION,
        ...overrides,
      },
    });
  return { ...t, enroll };
}

describe('POST /agent/v1/enroll', () => {
  it('trades a join token for an identity; the server starts offline and hides its key', async () => {
    const { enroll, call } = await setup();
    const res = await enroll();
    expect(res.status).toBe(201);
    expect(res.json).toEqual({ agentId: expect.stringMatching(/^srv_/), name: 'worker-1' });
    const servers = await call('GET', '/api/v1/servers');
    expect(servers.json).toEqual([
      {
        id: res.json.agentId,
        name: 'worker-1',
        status: 'offline',
        lastSeenAt: null,
        agentVersion: '0.1.0',
        docker: null,
        outdated: false,
      },
    ]);
  });

  it('accepts each join token once', async () => {
    const { enroll } = await setup();
    expect((await enroll()).status).toBe(201);
    const again = await enroll();
    expect(again.status).toBe(401);
    expect(again.json.error.code).toBe('JOIN_TOKEN_USED');
    expect(again.json.error.message).toContain('already used');
  });

  it('refuses an unknown token and an expired one', async () => {
    const { enroll, clock } = await setup();
    const unknown = await enroll({ joinToken: 'made-up' });
    expect(unknown.status).toBe(401);
    expect(unknown.json.error.code).toBe('JOIN_TOKEN_INVALID');
    clock.advance(600_000);
    const expired = await enroll();
    expect(expired.status).toBe(401);
    expect(expired.json.error.code).toBe('JOIN_TOKEN_EXPIRED');
    expect(expired.json.error.message).toContain('expired');
  });

  it('refuses a key that is not Ed25519 SPKI without spending the token', async () => {
    const { enroll } = await setup();
    const rsa = generateKeyPairSync('rsa', { modulusLength: 1024 })
      .publicKey.export({ format: 'der', type: 'spki' })
      .toString('base64');
    for (const publicKey of [rsa, 'bm90IGEga2V5', 'not base64!']) {
      const res = await enroll({ publicKey });
      expect(res.status).toBe(400);
      expect(res.json.error.fields).toEqual([
        { path: 'publicKey', message: 'must be an Ed25519 public key, base64 DER (SPKI)' },
      ]);
    }
    expect((await enroll()).status).toBe(201);
  });

  it('refuses another protocol major version, naming both', async () => {
    const { enroll } = await setup();
    const res = await enroll({ protocolVersion: '9.0' });
    expect(res.status).toBe(400);
    expect(res.json.error.code).toBe('PROTOCOL_MISMATCH');
    expect(res.json.error.message).toContain(
      `control plane speaks ${PROTOCOL_VERSION}, agent speaks 9.0`,
    );
  });

  it('names missing fields', async () => {
    const { call } = await setup();
    const res = await call('POST', '/agent/v1/enroll', { token: null, body: { name: 'x' } });
    expect(res.status).toBe(400);
    const paths = res.json.error.fields.map((field: { path: string }) => field.path);
    expect(paths).toEqual(expect.arrayContaining(['joinToken', 'publicKey', 'agentVersion']));
  });
});
