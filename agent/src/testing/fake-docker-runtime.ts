import type { DockerRuntime } from '../docker/docker-runtime.js';

export interface FakeDockerRuntime extends DockerRuntime {
  /** null makes Docker unreachable. */
  setVersion(version: string | null): void;
}

/** A Docker runtime behind the same interface, with no engine, for unit tests. */
export function createFakeDockerRuntime(initial: string | null = '20.10.24'): FakeDockerRuntime {
  let current = initial;
  return {
    version: () => Promise.resolve(current),
    setVersion(version) {
      current = version;
    },
  };
}
