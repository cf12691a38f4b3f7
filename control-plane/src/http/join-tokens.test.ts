import { describe, expect, it } from 'vitest';
import { sha256Hex } from '../crypto.js';
import { createTestApp } from './testing.js';

describe('POST /api/v1/join-tokens', () => {
  it('returns a token, its expiry and the install command; stores only the hash', async () => {
    const { call, store, clock } = await createTestApp();
    const res = await call('POST', '/api/v1/join-tokens', {
      headers: { host: 'berth.example.com:8443', 'x-forwarded-proto': 'https' },
    });
    expect(res.status).toBe(201);
    const { token, expiresAt, installCommand } = res.json;
    expect(token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(expiresAt).toBe(new Date(clock.now() + 3600_000).toISOString());
    expect(installCommand).toBe(
      `curl -fsSL https://berth.example.com:8443/install.sh | sudo bash -s -- --token ${token}`,
    );
    const stored = JSON.stringify(store.db.data);
    expect(stored).not.toContain(token);
    expect(stored).toContain(sha256Hex(token));
  });

  it('uses BERTH_PUBLIC_URL when set, and honours ttlSeconds', async () => {
    const { call, clock } = await createTestApp({ publicUrl: 'https://cp.example.org' });
    const res = await call('POST', '/api/v1/join-tokens', {
      body: { ttlSeconds: 120 },
      headers: { host: 'evil.example.com' },
    });
    expect(res.json.installCommand).toMatch(
      /^curl -fsSL https:\/\/cp\.example\.org\/install\.sh \| /,
    );
    expect(res.json.expiresAt).toBe(new Date(clock.now() + 120_000).toISOString());
  });

  it('names a bad ttlSeconds', async () => {
    const { call } = await createTestApp();
    const res = await call('POST', '/api/v1/join-tokens', { body: { ttlSeconds: 'soon' } });
    expect(res.status).toBe(400);
    expect(res.json.error.fields[0].path).toBe('ttlSeconds');
    expect(res.json.error.message).toContain('ttlSeconds: ');
  });
});
