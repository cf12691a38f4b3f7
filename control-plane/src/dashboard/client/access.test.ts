import type { User } from '@berth/protocol';
import { afterEach, describe, expect, it } from 'vitest';
import {
  canIn,
  grantsFromRows,
  grantsSummary,
  isOwner,
  roleIn,
  setCurrentUser,
  userCan,
} from './access.js';

const user = (over: Partial<User> = {}): User => ({
  id: 'usr_1',
  name: 'ada',
  role: 'member',
  projects: {},
  totpEnabled: false,
  hasPassword: true,
  disabled: false,
  createdAt: '2026-01-01T00:00:00.000Z',
  ...over,
});

describe('roleIn and userCan', () => {
  it('makes the owner admin everywhere', () => {
    const owner = user({ role: 'owner' });
    expect(roleIn(owner, 'prj_x')).toBe('admin');
    expect(userCan(owner, 'prj_x', 'secrets')).toBe(true);
  });

  it('prefers a project grant over the grant to all projects', () => {
    const member = user({ projects: { '*': 'viewer', prj_a: 'deployer' } });
    expect(roleIn(member, 'prj_a')).toBe('deployer');
    expect(roleIn(member, 'prj_b')).toBe('viewer');
    expect(userCan(member, 'prj_a', 'deploy')).toBe(true);
    expect(userCan(member, 'prj_a', 'configure')).toBe(false);
    expect(userCan(member, 'prj_b', 'deploy')).toBe(false);
  });

  it('gives nothing without a grant, and nothing to a disabled user', () => {
    expect(userCan(user({ projects: { prj_a: 'admin' } }), 'prj_b', 'read')).toBe(false);
    expect(userCan(user({ projects: { prj_a: 'admin' }, disabled: true }), 'prj_a', 'read')).toBe(
      false,
    );
  });
});

describe('canIn', () => {
  afterEach(() => setCurrentUser(null));

  it('answers false when nobody is signed in', () => {
    expect(canIn('prj_a', 'read')).toBe(false);
    expect(isOwner()).toBe(false);
  });

  it('follows the signed-in user', () => {
    setCurrentUser(user({ projects: { prj_a: 'admin' } }));
    expect(canIn('prj_a', 'secrets')).toBe(true);
    expect(canIn('prj_b', 'read')).toBe(false);
    expect(isOwner()).toBe(false);
    setCurrentUser(user({ role: 'owner' }));
    expect(isOwner()).toBe(true);
  });
});

describe('grants', () => {
  it('summarizes with project names, all projects first', () => {
    const names = new Map([['prj_a', 'Shop']]);
    expect(grantsSummary({ prj_a: 'admin', '*': 'viewer' }, names)).toBe(
      'all projects: Viewer, Shop: Admin',
    );
    expect(grantsSummary({ prj_gone: 'deployer' }, names)).toBe('prj_gone: Deployer');
    expect(grantsSummary({}, names)).toBe('no projects');
  });

  it('builds grants from editor rows', () => {
    expect(
      grantsFromRows([
        { projectId: 'prj_a', role: 'viewer' },
        { projectId: '', role: 'admin' },
        { projectId: 'prj_a', role: 'deployer' },
        { projectId: '*', role: 'viewer' },
      ]),
    ).toEqual({ prj_a: 'deployer', '*': 'viewer' });
  });
});
