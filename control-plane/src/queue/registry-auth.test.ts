import type { JobSpec } from '@berth/protocol';
import { describe, expect, it } from 'vitest';
import type { RegistryRecord } from '../store/records.js';
import { registryAuthFor } from './registry-auth.js';

const at = '2026-01-01T00:00:00.000Z';
const REGISTRIES: RegistryRecord[] = [
  { id: 'reg_a', host: '127.0.0.1:5001', username: 'a', password: 'pa', createdAt: at },
  { id: 'reg_b', host: 'ghcr.io', username: 'b', password: 'pb', createdAt: at },
  { id: 'reg_c', host: 'docker.io', username: 'c', password: 'pc', createdAt: at },
];

function spec(
  source: JobSpec['service']['source'],
  extra: Partial<JobSpec> = {},
): Pick<JobSpec, 'kind' | 'deployment' | 'service'> {
  return {
    kind: 'deploy',
    service: {
      id: 'svc',
      name: 'svc',
      source,
      ports: [],
      env: {},
      healthcheck: { type: 'running', seconds: 1 },
    },
    deployment: { id: 'dep', number: 1, cache: 'none', trigger: 'deploy' },
    ...extra,
  };
}

describe('registryAuthFor', () => {
  it('gives an image service only the credential of its registry', () => {
    const auth = registryAuthFor(
      spec({ type: 'image', image: '127.0.0.1:5001/private/app:1' }),
      REGISTRIES,
    );
    expect(auth).toEqual([{ host: '127.0.0.1:5001', username: 'a', password: 'pa' }]);
    expect(registryAuthFor(spec({ type: 'image', image: 'busybox:1' }), REGISTRIES)).toEqual([
      { host: 'docker.io', username: 'c', password: 'pc' },
    ]);
    expect(registryAuthFor(spec({ type: 'image', image: 'quay.io/x/y:1' }), REGISTRIES)).toEqual(
      [],
    );
  });

  it("gives a git build every credential, since only the agent reads the Dockerfile's FROM lines", () => {
    const auth = registryAuthFor(
      spec({
        type: 'git',
        repository: 'https://example.com/a.git',
        ref: 'main',
        dockerfile: 'Dockerfile',
        context: '.',
      }),
      REGISTRIES,
    );
    expect(auth.map((a) => a.host)).toEqual(['127.0.0.1:5001', 'ghcr.io', 'docker.io']);
  });

  it('gives none to a rollback, a restart or a stop, which pull nothing', () => {
    const image = { type: 'image' as const, image: '127.0.0.1:5001/private/app:1' };
    const rollback = spec(image, {
      deployment: { id: 'dep', number: 2, cache: 'none', trigger: 'rollback', imageId: 'sha256:1' },
    });
    expect(registryAuthFor(rollback, REGISTRIES)).toEqual([]);
    expect(registryAuthFor(spec(image, { kind: 'restart' }), REGISTRIES)).toEqual([]);
    expect(registryAuthFor(spec(image, { kind: 'stop' }), REGISTRIES)).toEqual([]);
  });
});
