import { describe, expect, it } from 'vitest';
import { hashPassword, verifyPassword } from './passwords.js';

describe('passwords', () => {
  it('checks a password against its salted scrypt hash', async () => {
    const hash = await hashPassword('correct horse battery', 10);
    expect(hash).toMatch(/^scrypt\$10\$8\$1\$[A-Za-z0-9+/=]+\$[A-Za-z0-9+/=]+$/);
    expect(hash).not.toContain('correct horse');
    expect(await verifyPassword('correct horse battery', hash)).toBe(true);
    expect(await verifyPassword('correct horse batterY', hash)).toBe(false);
  });

  it('salts each hash, and refuses without a stored hash or with a damaged one', async () => {
    const [a, b] = await Promise.all([hashPassword('same', 10), hashPassword('same', 10)]);
    expect(a).not.toBe(b);
    expect(await verifyPassword('anything', undefined)).toBe(false);
    expect(await verifyPassword('same', 'scrypt$10$8$1$short')).toBe(false);
    expect(await verifyPassword('same', 'bcrypt$whatever')).toBe(false);
  });
});
