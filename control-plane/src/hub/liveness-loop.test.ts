import { describe, expect, it } from 'vitest';
import { silentLogger } from '../log.js';
import { MemoryServerJournal } from '../store/server-journal.js';
import { memoryPresence, openMemoryStore, type Store, type StoreOptions } from '../store/store.js';
import { createLivenessChecker, runLivenessLoop } from './liveness-loop.js';
import { fakeClock } from '../testing/fake-clock.js';

const TIMEOUT_MS = 15_000;
const GRACE_MS = 30_000;

/** A hub stand-in: sessions are whatever the test says. */
function fakeHub() {
  const sessions = new Map<string, number>();
  const disconnected: { serverId: string; code: number }[] = [];
  return {
    sessions,
    disconnected,
    liveSessions: () => [...sessions].map(([serverId, lastLifeAt]) => ({ serverId, lastLifeAt })),
    isConnected: (serverId: string) => sessions.has(serverId),
    disconnect: (serverId: string, code: number) => {
      disconnected.push({ serverId, code });
      return sessions.delete(serverId);
    },
  };
}

async function storeWithServer(
  clock: ReturnType<typeof fakeClock>,
  id: string,
  backing: Pick<StoreOptions, 'serverJournal' | 'presence'> = {},
): Promise<Store> {
  const store = await openMemoryStore({ now: clock.now, ...backing });
  await store.joinTokens.create({ tokenHash: id, ttlSeconds: 3600, now: clock.now() });
  await store.servers.enroll({ id, tokenHash: id, name: id, publicKey: 'k', agentVersion: '1' });
  await store.servers.markOnline(id, { agentVersion: '1', docker: null });
  return store;
}

/** A store as a restarted control plane opens it: the server was online before the restart. */
async function restartedStore(clock: ReturnType<typeof fakeClock>, id: string): Promise<Store> {
  const backing = {
    serverJournal: new MemoryServerJournal(),
    presence: memoryPresence(),
  };
  await (await storeWithServer(clock, id, backing)).close();
  return openMemoryStore({ now: clock.now, ...backing });
}

describe('liveness', () => {
  it('shows servers that were online as reconnecting through the restart grace, then offline', async () => {
    const clock = fakeClock();
    const store = await restartedStore(clock, 's1');
    clock.advance(60_000); // the control plane was down for a minute
    const hub = fakeHub();
    const check = createLivenessChecker({
      hub,
      servers: store.servers,
      now: clock.now,
      log: silentLogger,
      livenessTimeoutMs: TIMEOUT_MS,
      restartGraceMs: GRACE_MS,
      startedAt: clock.now(),
    });
    clock.advance(GRACE_MS - 1);
    await check();
    expect(store.servers.get('s1')?.status).toBe('reconnecting');
    clock.advance(1);
    await check();
    expect(store.servers.get('s1')?.status).toBe('offline');
  });

  it('keeps a server that reconnects within the grace online', async () => {
    const clock = fakeClock();
    const store = await restartedStore(clock, 's1');
    const hub = fakeHub();
    const check = createLivenessChecker({
      hub,
      servers: store.servers,
      now: clock.now,
      log: silentLogger,
      livenessTimeoutMs: TIMEOUT_MS,
      restartGraceMs: GRACE_MS,
      startedAt: clock.now(),
    });
    clock.advance(5_000);
    hub.sessions.set('s1', clock.now());
    await store.servers.markOnline('s1', { agentVersion: '1', docker: null });
    clock.advance(GRACE_MS);
    hub.sessions.set('s1', clock.now());
    await check();
    expect(store.servers.get('s1')?.status).toBe('online');
  });

  it('marks a server offline once its window since lastSeenAt passes without a reconnect', async () => {
    const clock = fakeClock();
    const store = await storeWithServer(clock, 's1');
    const hub = fakeHub();
    // Started long ago: no restart grace applies.
    const check = createLivenessChecker({
      hub,
      servers: store.servers,
      now: clock.now,
      log: silentLogger,
      livenessTimeoutMs: TIMEOUT_MS,
      restartGraceMs: 0,
      startedAt: clock.now(),
    });
    hub.sessions.set('s1', clock.now());
    await check();
    hub.sessions.delete('s1'); // the socket closed
    clock.advance(TIMEOUT_MS - 1);
    await check();
    expect(store.servers.get('s1')?.status).toBe('online');
    clock.advance(1);
    await check();
    expect(store.servers.get('s1')?.status).toBe('offline');
  });

  it('runs until the signal aborts, checking once per tick', async () => {
    const clock = fakeClock();
    const store = await storeWithServer(clock, 's1');
    const hub = fakeHub();
    hub.sessions.set('s1', clock.now());
    const controller = new AbortController();
    let ticks = 0;
    await runLivenessLoop({
      signal: controller.signal,
      hub,
      servers: store.servers,
      now: clock.now,
      log: silentLogger,
      livenessTimeoutMs: TIMEOUT_MS,
      restartGraceMs: 0,
      startedAt: clock.now(),
      tickMs: 1000,
      sleep: async (ms) => {
        ticks += 1;
        clock.advance(ms);
        if (ticks === 20) controller.abort();
      },
    });
    expect(hub.disconnected).toEqual([{ serverId: 's1', code: 4408 }]);
    expect(store.servers.get('s1')?.status).toBe('offline');
  });
});
