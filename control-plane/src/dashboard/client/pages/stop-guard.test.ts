import type { Service } from '@berth/protocol';
import { describe, expect, it } from 'vitest';
import { stopBlocker } from './stop-guard.js';

const database: Service = {
  id: 'svc_1',
  environmentId: 'env_1',
  name: 'db',
  source: { type: 'database', engine: 'postgres' },
  ports: [],
  env: {},
  healthcheck: { type: 'running', seconds: 3 },
  status: 'running',
  primaryAction: 'redeploy',
  currentDeploymentId: 'dep_1',
  exposed: false,
};

describe('stopBlocker', () => {
  it('blocks Stop of an exposed database, naming its port', () => {
    expect(stopBlocker({ ...database, exposed: true, publicPort: 20001 })).toMatch(
      /db is a database exposed publicly on port 20001\. Unexpose it/,
    );
  });

  it('lets an unexposed database and an app stop', () => {
    expect(stopBlocker(database)).toBeNull();
    expect(
      stopBlocker({ ...database, source: { type: 'image', image: 'nginx' }, exposed: true }),
    ).toBeNull();
  });
});
