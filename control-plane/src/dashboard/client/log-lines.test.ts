import type { LogLine } from '@berth/protocol';
import { describe, expect, it } from 'vitest';
import { LogLines } from './log-lines.js';

const lines = (from: number, to: number): LogLine[] =>
  Array.from({ length: to - from + 1 }, (_, i) => ({
    seq: from + i,
    ts: '2026-01-01T00:00:00.000Z',
    stream: 'build',
    text: `l${from + i}`,
  }));

describe('LogLines', () => {
  it('keeps a tail that starts late, and knows which pages are still to fetch', () => {
    const store = new LogLines(3, true);
    store.add(lines(1500, 2100));
    expect([store.first, store.last, store.rows]).toEqual([1, 2100, 2100]);
    expect(store.get(1499)).toBeUndefined();
    expect(store.get(2100)?.text).toBe('l2100');
    expect([store.complete(0), store.complete(1), store.complete(2)]).toEqual([false, false, true]);
    store.add(lines(1001, 1499));
    expect(store.complete(1)).toBe(true);
  });

  it('lets go of the least recently used page, never the newest', () => {
    const store = new LogLines(2, true);
    store.add(lines(2001, 2500));
    store.add(lines(1, 1000));
    store.touch(0);
    store.add(lines(1001, 2000));
    expect(store.get(1500)).toBeDefined();
    expect(store.get(2500)).toBeDefined();
    expect(store.get(1)).toBeUndefined();
  });

  it('drops the oldest lines when nothing can fetch them again', () => {
    const store = new LogLines(2, false);
    store.add(lines(1, 2500));
    expect([store.first, store.last, store.rows]).toEqual([1001, 2500, 1500]);
    expect(store.get(1000)).toBeUndefined();
    store.clear();
    expect(store.rows).toBe(0);
  });
});
