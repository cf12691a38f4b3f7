import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AuditEntry, AuditInput, ErrorBody } from '@berth/protocol';
import { Hono } from 'hono';
import { afterEach, describe, expect, it } from 'vitest';
import { silentLogger } from '../log.js';
import { AUDIT_FILE, AuditLog } from '../store/audit-log.js';
import { fakeClock } from '../testing/fake-clock.js';
import { auditRoutes } from './audit.js';
import { createErrorHandler, notFoundHandler } from './errors.js';

const opened: AuditLog[] = [];
afterEach(async () => {
  await Promise.all(opened.splice(0).map((audit) => audit.close()));
});

async function auditApp(inputs: AuditInput[]) {
  const dir = await mkdtemp(join(tmpdir(), 'berth-http-audit-'));
  const clock = fakeClock();
  const audit = await AuditLog.open(join(dir, AUDIT_FILE), { now: clock.now, log: silentLogger });
  opened.push(audit);
  for (const input of inputs) {
    await audit.append(input);
    clock.advance(1_000);
  }
  const app = new Hono().onError(createErrorHandler(silentLogger)).notFound(notFoundHandler);
  app.route('/api/v1', auditRoutes({ audit }));
  return async (query = '') => {
    const res = await app.request(`/api/v1/audit${query}`);
    const json: unknown = await res.json();
    return {
      status: res.status,
      entries: json as AuditEntry[],
      error: (json as Partial<ErrorBody>).error,
    };
  };
}

const entry = (action: string, overrides: Partial<AuditInput> = {}): AuditInput => ({
  actor: { type: 'user', id: 'usr_ada', name: 'ada' },
  action,
  outcome: 'success',
  ...overrides,
});

describe('GET /api/v1/audit', () => {
  it('answers the entries newest first, 100 at most by default', async () => {
    const get = await auditApp(Array.from({ length: 120 }, (_, i) => entry(`service.n${i}`)));
    const res = await get();
    expect(res.status).toBe(200);
    expect(res.entries).toHaveLength(100);
    expect(res.entries[0]).toMatchObject({
      seq: 120,
      action: 'service.n119',
      actor: { type: 'user', id: 'usr_ada', name: 'ada' },
      outcome: 'success',
      hash: expect.stringMatching(/^[0-9a-f]{64}$/),
    });
    expect(res.entries.at(-1)?.seq).toBe(21);
  });

  it('filters by the query and pages with before', async () => {
    const get = await auditApp([
      entry('service.deploy', { projectId: 'prj_1' }),
      entry('session.sign-in', { outcome: 'failure', actor: { type: 'anonymous', name: 'x' } }),
      entry('service.stop', { projectId: 'prj_2', outcome: 'denied', status: 403 }),
      entry('token.create', { actor: { type: 'token', id: 'tok_1', name: 'ci' } }),
      entry('service.restart', { projectId: 'prj_1' }),
    ]);
    const seqs = async (query: string) => (await get(query)).entries.map((e) => e.seq);
    expect(await seqs('?action=service.*')).toEqual([5, 3, 1]);
    expect(await seqs('?action=service.*&limit=2')).toEqual([5, 3]);
    expect(await seqs('?action=service.*&limit=2&before=3')).toEqual([1]);
    expect(await seqs('?project=prj_1')).toEqual([5, 1]);
    expect(await seqs('?actor=tok_1')).toEqual([4]);
    expect(await seqs('?outcome=denied')).toEqual([3]);
    expect(await seqs('?since=2025-01-01T00:00:01Z&until=2025-01-01T00:00:03Z')).toEqual([4, 3, 2]);
  });

  it('names each bad query field in a 400', async () => {
    const get = await auditApp([]);
    const res = await get('?limit=0&since=yesterday&action=serv*ce&outcome=maybe&before=-1&x=1');
    expect(res.status).toBe(400);
    expect(res.error?.code).toBe('INVALID_INPUT');
    const paths = (res.error?.fields ?? []).map((f) => f.path).sort();
    expect(paths).toEqual(['(body)', 'action', 'before', 'limit', 'outcome', 'since']);
    expect((await get('?limit=501')).status).toBe(400);
    expect((await get('?limit=500')).status).toBe(200);
  });
});
