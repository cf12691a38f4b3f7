import type { Adapter } from 'lowdb';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { Database } from './database.js';
import type { Data } from './records.js';

/** Records every write and lets the test decide when each one finishes. */
class SlowAdapter implements Adapter<Data> {
  readonly writes: string[] = [];
  active = 0;
  maxActive = 0;
  async read(): Promise<Data | null> {
    return null;
  }
  async write(data: Data): Promise<void> {
    this.active += 1;
    this.maxActive = Math.max(this.maxActive, this.active);
    await new Promise((resolve) => setTimeout(resolve, 5));
    this.writes.push(JSON.stringify(data.projects.map((p) => p.name)));
    this.active -= 1;
  }
}

afterEach(() => {
  vi.useRealTimers();
});

describe('Database', () => {
  it('never runs two writes at once and folds queued changes into one write', async () => {
    const adapter = new SlowAdapter();
    const db = await Database.open(adapter, { label: 'test' });
    const add = (name: string) =>
      db.mutate((data) => {
        data.projects.push({ id: name, name, createdAt: '' });
      });
    await Promise.all([add('a'), add('b'), add('c'), add('d')]);
    expect(adapter.maxActive).toBe(1);
    expect(adapter.writes.at(-1)).toBe('["a","b","c","d"]');
    expect(adapter.writes.length).toBeLessThan(4);
  });

  it('writes lazy changes at most once per window, and flush writes them at once', async () => {
    vi.useFakeTimers();
    const adapter = new SlowAdapter();
    const db = await Database.open(adapter, { label: 'test', lazyWriteMs: 1000 });
    for (let i = 0; i < 50; i += 1) {
      db.mutateLazy((data) => {
        data.revokedServerIds = [String(i)];
      });
    }
    expect(adapter.writes).toHaveLength(0);
    await vi.advanceTimersByTimeAsync(1010);
    expect(adapter.writes).toHaveLength(1);

    db.mutateLazy((data) => {
      data.revokedServerIds = ['last'];
    });
    const flushed = db.flush();
    await vi.advanceTimersByTimeAsync(10);
    await flushed;
    expect(adapter.writes).toHaveLength(2);
    expect(db.data.revokedServerIds).toEqual(['last']);
  });

  it('does not write when a change throws before modifying anything', async () => {
    const adapter = new SlowAdapter();
    const db = await Database.open(adapter, { label: 'test' });
    await expect(
      db.mutate(() => {
        throw new Error('invalid');
      }),
    ).rejects.toThrow('invalid');
    expect(adapter.writes).toHaveLength(0);
  });
});
