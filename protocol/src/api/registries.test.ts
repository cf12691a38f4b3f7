import { describe, expect, it } from 'vitest';
import {
  createRegistryBodySchema,
  patchRegistryBodySchema,
  registryHostOf,
  registryHostSchema,
} from './registries.js';

describe('registryHostSchema', () => {
  it.each([
    ['registry.example.com', 'registry.example.com'],
    ['127.0.0.1:5000', '127.0.0.1:5000'],
    ['Ghcr.IO', 'ghcr.io'],
    ['localhost:5000', 'localhost:5000'],
    ['[::1]:5000', '[::1]:5000'],
    ['index.docker.io', 'docker.io'],
  ])('accepts %s as %s', (input, host) => {
    expect(registryHostSchema.parse(input)).toBe(host);
  });

  it.each([
    'https://registry.example.com',
    'registry.example.com/path',
    'user@registry.example.com',
    'host:port',
    '-x.example.com',
    '',
  ])('refuses %s', (input) => {
    expect(registryHostSchema.safeParse(input).success).toBe(false);
  });
});

describe('registry bodies', () => {
  it('refuses a user name with ":" and unknown fields', () => {
    const base = { host: 'r.example.com', username: 'u', password: 'p' };
    expect(createRegistryBodySchema.safeParse(base).success).toBe(true);
    expect(createRegistryBodySchema.safeParse({ ...base, username: 'a:b' }).success).toBe(false);
    expect(createRegistryBodySchema.safeParse({ ...base, extra: 1 }).success).toBe(false);
    expect(createRegistryBodySchema.safeParse({ ...base, password: '' }).success).toBe(false);
  });

  it('a change names a password or a user name', () => {
    expect(patchRegistryBodySchema.safeParse({ password: 'new' }).success).toBe(true);
    expect(patchRegistryBodySchema.safeParse({}).success).toBe(false);
    expect(patchRegistryBodySchema.safeParse({ host: 'other.example.com' }).success).toBe(false);
  });
});

describe('registryHostOf', () => {
  it.each([
    ['busybox', 'docker.io'],
    ['library/busybox:1', 'docker.io'],
    ['berth-test/busybox:latest', 'docker.io'],
    ['127.0.0.1:5000/private/app:1', '127.0.0.1:5000'],
    ['localhost/app', 'localhost'],
    ['GHCR.io/org/app@sha256:' + 'a'.repeat(64), 'ghcr.io'],
    ['registry-1.docker.io/library/busybox', 'docker.io'],
  ])('%s pulls from %s', (image, host) => {
    expect(registryHostOf(image)).toBe(host);
  });
});
