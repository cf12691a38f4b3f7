import { describe, expect, it } from 'vitest';
import { href, parseRoute } from './router.js';

describe('parseRoute', () => {
  it.each([
    ['', 'projects', '', 'deployments'],
    ['#/', 'projects', '', 'deployments'],
    ['#/projects', 'projects', '', 'deployments'],
    ['#/projects/prj_1', 'project', 'prj_1', 'deployments'],
    ['#/environments/env_1', 'environment', 'env_1', 'deployments'],
    ['#/environments/env_1/new-service', 'new-service', 'env_1', 'deployments'],
    ['#/services/svc_1', 'service', 'svc_1', 'deployments'],
    ['#/services/svc_1/overview', 'service', 'svc_1', 'overview'],
    ['#/services/svc_1/logs', 'service', 'svc_1', 'logs'],
    ['#/services/svc_1/backups', 'service', 'svc_1', 'backups'],
    ['#/account', 'account', '', 'deployments'],
    ['#/users', 'users', '', 'deployments'],
    ['#/invite/inv_tok-1', 'invite', 'inv_tok-1', 'deployments'],
    ['#/servers', 'servers', '', 'deployments'],
    ['#/settings', 'settings', '', 'deployments'],
    ['#/services/svc_1/bogus', 'not-found', 'svc_1', 'deployments'],
    ['#/nowhere', 'not-found', '', 'deployments'],
  ])('%s is %s', (hash, name, id, tab) => {
    expect(parseRoute(hash)).toMatchObject({ name, id, tab });
  });

  it('gives every tab of a service the same key, so switching tabs keeps the page', () => {
    expect(parseRoute('#/services/a/logs').key).toBe(parseRoute('#/services/a/overview').key);
    expect(parseRoute('#/services/a').key).not.toBe(parseRoute('#/services/b').key);
  });

  it('round-trips ids through href, whatever they hold', () => {
    const id = 'svc_1/../<x>';
    expect(parseRoute(href.service(id, 'logs'))).toMatchObject({
      name: 'service',
      id,
      tab: 'logs',
    });
    expect(parseRoute(href.newService(id))).toMatchObject({ name: 'new-service', id });
  });
});
