import { MemoryHistory } from './memory-history.js';
import { Memory, type Adapter } from 'lowdb';
import { describe, expect, it, vi } from 'vitest';
import type { Data } from './records.js';
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
  it('folds heartbeat-only updates into at most one write per second; Docker changes write at once', async () => {
    vi.useFakeTimers();
    try {
      let writes = 0;
      const memory = new Memory<Data>();
      const adapter: Adapter<Data> = {
        read: () => memory.read(),
        write: (data) => {
          writes += 1;
          return memory.write(data);
        },
      };
      const store = await openStore(adapter, 'test', new MemoryHistory(), { lazyWriteMs: 1000 });
      await store.joinTokens.create({ tokenHash: 'h', ttlSeconds: 3600, now: Date.now() });
      await store.servers.enroll(enrollInput('s1', 'h'));
      await store.servers.markOnline('s1', { agentVersion: '1', docker: { version: '20.10' } });
      const before = writes;
      for (let i = 0; i < 30; i += 1) await store.servers.touch('s1', { version: '20.10' });
      expect(writes).toBe(before);
      await vi.advanceTimersByTimeAsync(1000);
      expect(writes).toBe(before + 1);
      await store.servers.touch('s1', null);
      expect(writes).toBe(before + 2);
      expect(store.servers.get('s1')?.docker).toBeNull();
    } finally {
      vi.useRealTimers();
    }
  });
});
