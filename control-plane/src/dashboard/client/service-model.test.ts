import type { Deployment, Service } from '@berth/protocol';
import { describe, expect, it } from 'vitest';
import { ServiceModel, type ModelChange } from './service-model.js';

const service: Service = {
  id: 'svc_1',
  environmentId: 'env_1',
  name: 'web',
  source: { type: 'image', image: 'nginx:1.27' },
  ports: [],
  env: {},
  healthcheck: { type: 'running', seconds: 3 },
  status: 'running',
  primaryAction: 'redeploy',
  currentDeploymentId: 'dep_2',
};

function deployment(number: number, status: Deployment['status']): Deployment {
  return {
    id: `dep_${number}`,
    serviceId: 'svc_1',
    number,
    status,
    cache: 'use-existing',
    phases: [],
    trigger: 'deploy',
    source: { type: 'image', image: 'nginx:1.27' },
    createdAt: '2025-01-01T00:00:00.000Z',
  };
}

describe('ServiceModel', () => {
  it('keeps deployments newest first and tells listeners what changed', () => {
    const model = new ServiceModel();
    const changes: ModelChange['type'][] = [];
    model.subscribe((change) => changes.push(change.type));
    model.applySnapshot({
      service,
      deployments: [deployment(2, 'succeeded'), deployment(1, 'succeeded')],
      hasMore: false,
    });
    model.applyDeployment(deployment(3, 'queued'));
    expect(model.deployments.map((d) => d.number)).toEqual([3, 2, 1]);
    expect(changes).toEqual(['snapshot', 'deployment']);
  });

  it('never moves a finished deployment back to running when answers arrive out of order', () => {
    const model = new ServiceModel();
    model.applySnapshot({ service, deployments: [], hasMore: false });
    model.applyDeployment(deployment(1, 'succeeded'));
    model.applyDeployment(deployment(1, 'queued'));
    expect(model.deployments[0]!.status).toBe('succeeded');
  });

  it('keeps what it knew about rollbacks when an update does not say', () => {
    const model = new ServiceModel();
    model.applySnapshot({
      service,
      deployments: [{ ...deployment(1, 'succeeded'), rollbackAvailable: false }],
      hasMore: false,
    });
    model.applyDeployment(deployment(1, 'succeeded'));
    expect(model.deployments[0]!.rollbackAvailable).toBe(false);
  });

  it('keeps older pages loaded by hand across a fresh snapshot', () => {
    const model = new ServiceModel();
    model.applySnapshot({ service, deployments: [deployment(3, 'succeeded')], hasMore: true });
    model.addOlder([deployment(2, 'succeeded'), deployment(1, 'failed')], false);
    model.applySnapshot({
      service,
      deployments: [deployment(4, 'queued'), deployment(3, 'succeeded')],
      hasMore: true,
    });
    expect(model.deployments.map((d) => d.number)).toEqual([4, 3, 2, 1]);
    expect(model.hasMore).toBe(false);
  });
});
