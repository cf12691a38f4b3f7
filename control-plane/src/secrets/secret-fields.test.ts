import { describe, expect, it } from 'vitest';
import { mapSecretFields } from './secret-fields.js';

const upper = (value: string) => value.toUpperCase();

describe('mapSecretFields', () => {
  it('maps every value of every item at a path and leaves the rest and the input alone', () => {
    const data = {
      version: 2,
      services: [
        { name: 'web', env: { A: 'one', B: 'two' } },
        { name: 'db', env: {} },
      ],
    };
    const mapped = mapSecretFields(data, ['services.*.env.*'], upper);
    expect(mapped).toEqual({
      version: 2,
      services: [
        { name: 'web', env: { A: 'ONE', B: 'TWO' } },
        { name: 'db', env: {} },
      ],
    });
    expect(data.services[0]!.env.A).toBe('one');
  });

  it('names each field it maps, and skips collections that do not exist yet', () => {
    const seen: string[] = [];
    const data = { services: [{ env: { KEY: 'v' } }], registries: [{ password: 'p', user: 'u' }] };
    const paths = ['services.*.env.*', 'registries.*.password', 'gitCredentials.*.token'];
    const mapped = mapSecretFields(data, paths, (value, where) => {
      seen.push(where);
      return `<${value}>`;
    });
    expect(seen).toEqual(['services[0].env.KEY', 'registries[0].password']);
    expect(mapped.registries[0]).toEqual({ password: '<p>', user: 'u' });
  });
});
