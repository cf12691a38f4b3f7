import { Memory } from 'lowdb';
import { describe, expect, it } from 'vitest';
import { sha256Hex } from '../crypto.js';
import { DashboardSessions } from '../http/session.js';
import { silentLogger } from '../log.js';
import { fakeClock } from '../testing/fake-clock.js';
import { Database } from './database.js';
import type { Data } from './records.js';
import { SessionRecords } from './sessions.js';

describe('dashboard sessions in db.json', () => {
  it('keeps sessions in its store: a restart keeps them, with their CSRF tokens and timers', async () => {
    const clock = fakeClock();
    const db = await Database.open(new Memory<Data>(), { label: 'test' });
    const store = new SessionRecords(db, silentLogger);
    const before = new DashboardSessions(clock.now, { store });
    const kept = before.create('usr_test');
    const ended = before.create('usr_test');
    before.delete(ended.id);
    clock.advance(11 * 3600_000);
    expect(before.lookup(kept.id)).toBeDefined();
    await db.flush();
    expect(JSON.stringify(db.data.sessions)).not.toContain(kept.id);
    expect(db.data.sessions.map((s) => s.idHash)).toEqual([sha256Hex(kept.id)]);

    // After a restart: signed in still, the same CSRF token, and the idle timer the lookup moved on.
    clock.advance(2 * 3600_000);
    const after = new DashboardSessions(clock.now, { store });
    expect(after.lookup(kept.id)).toEqual({ userId: 'usr_test', csrfToken: kept.csrfToken });
    expect(after.lookup(ended.id)).toBeUndefined();

    // Sessions that expired while the control plane was down are gone from the store too.
    clock.advance(13 * 3600_000);
    const later = new DashboardSessions(clock.now, { store });
    expect(later.size).toBe(0);
    await db.flush();
    expect(db.data.sessions).toEqual([]);
  });

  it('signs every browser out at once', async () => {
    const db = await Database.open(new Memory<Data>(), { label: 'test' });
    const store = new SessionRecords(db, silentLogger);
    const sessions = new DashboardSessions(fakeClock().now, { store });
    const ids = [sessions.create('usr_test').id, sessions.create('usr_test').id];
    expect(sessions.deleteAll()).toBe(2);
    for (const id of ids) expect(sessions.lookup(id)).toBeUndefined();
    await db.flush();
    expect(db.data.sessions).toEqual([]);
  });
});
