import { MemoryHistory } from './memory-history.js';
import { Memory, type Adapter } from 'lowdb';
import { describe, expect, it } from 'vitest';
import type { PresenceSnapshot } from './presence.js';
import type { Data } from './records.js';
import { MemoryServerJournal } from './server-journal.js';
import { openMemoryStore, openStore } from './store.js';

async function setup() {
  let nowMs = Date.parse('2025-01-01T00:00:00Z');
  const now = () => nowMs;
  const store = await openMemoryStore({ now });
  const advance = (ms: number) => {
    nowMs += ms;
  };
  return { store, now, advance };
}

const enrollInput = (id: string, tokenHash: string) => ({
  id,
  tokenHash,
  name: 'node-1',
  publicKey: 'KEY',
  agentVersion: '0.1.0',
});

describe('ServerRecords.enroll', () => {
  it('spends a join token exactly once', async () => {
    const { store, now } = await setup();
    await store.joinTokens.create({ tokenHash: 'h1', ttlSeconds: 3600, now: now() });
    const results = await Promise.all([
      store.servers.enroll(enrollInput('s1', 'h1')),
      store.servers.enroll(enrollInput('s2', 'h1')),
    ]);
    expect(results.map((r) => r.ok)).toEqual([true, false]);
    expect(results[1]).toEqual({ ok: false, reason: 'used' });
    expect(store.servers.list().map((s) => s.id)).toEqual(['s1']);
    expect(store.servers.get('s1')).toMatchObject({ status: 'offline', lastSeenAt: null });
  });

  it('refuses an expired or unknown token', async () => {
    const { store, now, advance } = await setup();
    await store.joinTokens.create({ tokenHash: 'h1', ttlSeconds: 60, now: now() });
    advance(60_000);
    expect(await store.servers.enroll(enrollInput('s1', 'h1'))).toEqual({
      ok: false,
      reason: 'expired',
    });
    expect(await store.servers.enroll(enrollInput('s1', 'nope'))).toEqual({
      ok: false,
      reason: 'invalid',
    });
    expect(store.servers.list()).toEqual([]);
  });
});

describe('ServerRecords status', () => {
  it('marks online and offline, and revocation leaves a tombstone', async () => {
    const { store, now } = await setup();
    await store.joinTokens.create({ tokenHash: 'h1', ttlSeconds: 3600, now: now() });
    await store.servers.enroll(enrollInput('s1', 'h1'));
    await store.servers.markOnline('s1', { agentVersion: '0.2.0', docker: { version: '20.10' } });
    expect(store.servers.get('s1')).toMatchObject({
      status: 'online',
      agentVersion: '0.2.0',
      docker: { version: '20.10' },
      lastSeenAt: '2025-01-01T00:00:00.000Z',
    });
    expect(await store.servers.markOffline('s1')).toBe(true);
    expect(await store.servers.markOffline('s1')).toBe(false);
    expect(await store.servers.revoke('s1')).toBe(true);
    expect(store.servers.get('s1')).toBeUndefined();
    expect(store.servers.isRevoked('s1')).toBe(true);
    expect(await store.servers.revoke('s1')).toBe(false);
  });
});

describe('ServerRecords.touch', () => {
  it('keeps heartbeats in memory: db.json is never written for them, a Docker change is one journal line', async () => {
    let writes = 0;
    const memory = new Memory<Data>();
    const adapter: Adapter<Data> = {
      read: () => memory.read(),
      write: (data) => {
        writes += 1;
        return memory.write(data);
      },
    };
    const journal = new MemoryServerJournal();
    const store = await openStore(adapter, 'test', new MemoryHistory(), { serverJournal: journal });
    await store.joinTokens.create({ tokenHash: 'h', ttlSeconds: 3600, now: Date.now() });
    await store.servers.enroll(enrollInput('s1', 'h'));
    await store.servers.markOnline('s1', { agentVersion: '1', docker: { version: '20.10' } });
    await store.db.flush();
    const before = { writes, lines: journal.entries?.length ?? 0 };
    for (let i = 0; i < 30; i += 1) await store.servers.touch('s1', { version: '20.10' });
    await store.db.flush();
    expect(writes).toBe(before.writes);
    expect(journal.entries).toHaveLength(before.lines);
    await store.servers.touch('s1', null);
    expect(writes).toBe(before.writes);
    expect(journal.entries).toHaveLength(before.lines + 1);
    expect(store.servers.get('s1')?.docker).toBeNull();
  });
});

describe('ServerRecords across a restart', () => {
  async function reopen(journal: MemoryServerJournal, presence: Memory<PresenceSnapshot>) {
    return openStore(new Memory<Data>(), 'test', new MemoryHistory(), {
      serverJournal: journal,
      presence,
    });
  }

  it('brings servers that were online back as reconnecting, and replays revocations', async () => {
    const journal = new MemoryServerJournal();
    const presence = new Memory<PresenceSnapshot>();
    const first = await reopen(journal, presence);
    for (const id of ['s1', 's2', 's3']) {
      await first.joinTokens.create({ tokenHash: id, ttlSeconds: 3600, now: Date.now() });
      await first.servers.enroll(enrollInput(id, id));
    }
    await first.servers.markOnline('s1', { agentVersion: '0.2.0', docker: null });
    await first.servers.revoke('s3');
    await first.close();

    const second = await reopen(journal, presence);
    expect(second.servers.get('s1')).toMatchObject({
      status: 'reconnecting',
      agentVersion: '0.2.0',
    });
    expect(second.servers.get('s1')?.lastSeenAt).not.toBeNull();
    expect(second.servers.get('s2')?.status).toBe('offline');
    expect(second.servers.get('s3')).toBeUndefined();
    expect(second.servers.isRevoked('s3')).toBe(true);
    const expired = second.servers.expireSilent({
      at: Date.now() + 60_000,
      livenessTimeoutMs: 15_000,
      graceUntil: Date.now() + 30_000,
      isConnected: () => false,
    });
    expect(expired).toEqual(['s1']);
    expect(second.servers.get('s1')?.status).toBe('offline');
  });

  it('answers "used" for a spent token after a restart, though db.json no longer holds it', async () => {
    const journal = new MemoryServerJournal();
    const presence = new Memory<PresenceSnapshot>();
    const first = await reopen(journal, presence);
    await first.joinTokens.create({ tokenHash: 'h', ttlSeconds: 3600, now: Date.now() });
    await first.servers.enroll(enrollInput('s1', 'h'));
    await first.db.flush();
    expect(first.db.data.joinTokens).toEqual([]);
    const second = await reopen(journal, presence);
    expect(await second.servers.enroll(enrollInput('s2', 'h'))).toEqual({
      ok: false,
      reason: 'used',
    });
  });
});

describe('ServerRecords.page', () => {
  it('pages in enrollment order and filters by status', async () => {
    const { store, now, advance } = await setup();
    for (let i = 0; i < 5; i += 1) {
      await store.joinTokens.create({ tokenHash: `h${i}`, ttlSeconds: 3600, now: now() });
      await store.servers.enroll(enrollInput(`s${i}`, `h${i}`));
      advance(1);
    }
    await store.servers.markOnline('s1', { agentVersion: '1', docker: null });
    await store.servers.markOnline('s4', { agentVersion: '1', docker: null });
    const first = store.servers.page({ limit: 2 });
    expect(first.items.map((s) => s.id)).toEqual(['s0', 's1']);
    const second = store.servers.page({ limit: 2, cursor: first.nextCursor! });
    expect(second.items.map((s) => s.id)).toEqual(['s2', 's3']);
    const last = store.servers.page({ limit: 2, cursor: second.nextCursor! });
    expect(last).toMatchObject({ nextCursor: null });
    expect(last.items.map((s) => s.id)).toEqual(['s4']);
    const online = store.servers.page({ limit: 1, status: 'online' });
    expect(online.items.map((s) => s.id)).toEqual(['s1']);
    const rest = store.servers.page({ limit: 1, status: 'online', cursor: online.nextCursor! });
    expect(rest).toMatchObject({ nextCursor: null, items: [{ id: 's4' }] });
    expect(() => store.servers.page({ limit: 1, cursor: 'bogus' })).toThrow(/cursor/);
  });
});
