import { describe, expect, it } from 'vitest';
import { createTestApp } from './testing.js';

describe('POST /api/v1/system/rotate-secret-key', () => {
  it('needs the admin token', async () => {
    const { call } = await createTestApp();
    const res = await call('POST', '/api/v1/system/rotate-secret-key', { token: null });
    expect(res.status).toBe(401);
  });

  it('answers 409 when the records are kept in memory, with nothing to rotate', async () => {
    const { call } = await createTestApp();
    const res = await call('POST', '/api/v1/system/rotate-secret-key');
    expect(res.status).toBe(409);
    expect(res.json.error).toMatchObject({
      code: 'CONFLICT',
      message: 'this control plane keeps its records in memory; there is no key to rotate',
    });
  });
});
