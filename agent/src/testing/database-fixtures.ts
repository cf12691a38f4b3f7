import type { DatabaseEngine, JobSpec } from '@berth/protocol';
import { FakeEngine } from './fake-engine.js';

export const IMAGES: Record<DatabaseEngine, string> = {
  postgres: '127.0.0.1:5000/pg:15',
  mariadb: '127.0.0.1:5000/mariadb:10.11',
  mysql: '127.0.0.1:5000/mysql:8',
  redis: '127.0.0.1:5000/redis:7',
};
const ENV: Record<DatabaseEngine, Record<string, string>> = {
  postgres: { POSTGRES_USER: 'app', POSTGRES_PASSWORD: 's3cret-pg', POSTGRES_DB: 'app' },
  mariadb: { MARIADB_ROOT_PASSWORD: 's3cret-root', MARIADB_USER: 'app', MARIADB_PASSWORD: 'x' },
  mysql: { MYSQL_ROOT_PASSWORD: 's3cret-root', MYSQL_USER: 'app', MYSQL_PASSWORD: 'x' },
  redis: { REDIS_PASSWORD: 's3cret "redis"' },
};

export function databaseSpec(engine: DatabaseEngine, number = 1, extra: Partial<JobSpec> = {}) {
  const spec: JobSpec = {
    jobId: `job${number}`,
    kind: 'deploy',
    service: {
      id: 'svcdb',
      name: 'Main DB',
      source: { type: 'database', engine, image: IMAGES[engine] },
      ports: [],
      env: ENV[engine],
      healthcheck: { type: 'running', seconds: 3 },
      environmentId: 'env1',
    },
    deployment: { id: `dep${number}`, number, cache: 'use-existing', trigger: 'deploy' },
    deadlineAt: new Date(Date.now() + 60_000).toISOString(),
    ...extra,
  };
  return spec;
}

export function engineWith(engine: DatabaseEngine): FakeEngine {
  const fake = new FakeEngine();
  fake.registry.set(IMAGES[engine], {
    id: fake.newImageId(),
    tags: [IMAGES[engine]],
    repoDigests: [],
    labels: {},
  });
  return fake;
}
