import type { AuditEntry } from '@berth/protocol';
import { describe, expect, it } from 'vitest';
import {
  actorKind,
  auditQueryPath,
  nextAuditCursor,
  outcomeText,
  targetText,
} from './audit-format.js';

const entry = (seq: number): AuditEntry => ({
  seq,
  at: '2025-01-01T00:00:00.000Z',
  actor: { type: 'user', id: 'usr_1', name: 'ada' },
  action: 'service.deploy',
  outcome: 'success',
  hash: 'h',
});

describe('auditQueryPath', () => {
  it('sends only the filters that are set, trimmed, with the page size and cursor', () => {
    expect(auditQueryPath({ action: '', actor: '' })).toBe('/api/v1/audit?limit=50');
    expect(auditQueryPath({ action: ' service.* ', actor: 'usr_1' }, { before: 42 })).toBe(
      '/api/v1/audit?limit=50&action=service.*&actor=usr_1&before=42',
    );
    expect(auditQueryPath({ action: 'a b&c', actor: '' }, { limit: 10 })).toBe(
      '/api/v1/audit?limit=10&action=a+b%26c',
    );
  });
});

describe('nextAuditCursor', () => {
  it('is the last seq of a full page, and null after a short one', () => {
    expect(nextAuditCursor([entry(9), entry(8)], 2)).toBe(8);
    expect(nextAuditCursor([entry(9)], 2)).toBeNull();
    expect(nextAuditCursor([], 2)).toBeNull();
  });
});

describe('actorKind, targetText, outcomeText', () => {
  it('describes the actor, the target and the outcome for a person', () => {
    expect(actorKind({ type: 'user', name: 'ada' })).toBe('user');
    expect(actorKind({ type: 'token', id: 'tok_1', name: 'ci', userId: 'usr_1' })).toBe(
      'API token of usr_1',
    );
    expect(actorKind({ type: 'anonymous', name: 'bob' })).toBe('not signed in');
    expect(targetText({ type: 'service', id: 'svc_1' })).toBe('service svc_1');
    expect(targetText(undefined)).toBe('—');
    expect(outcomeText({ outcome: 'denied', status: 403 })).toBe('denied (403)');
    expect(outcomeText({ outcome: 'success' })).toBe('success');
  });
});
