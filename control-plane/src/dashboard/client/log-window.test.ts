import { describe, expect, it } from 'vitest';
import { logWindow, pageOf, pagesBetween } from './log-window.js';

const base = { viewportPx: 400, rowPx: 20, overscan: 5 };

describe('logWindow', () => {
  it('renders the visible rows and the overscan, never past the ends', () => {
    expect(logWindow({ ...base, scrollTop: 0, rows: 10 })).toEqual({
      first: 0,
      count: 10,
      offsetPx: 0,
      scrollPx: 200,
    });
    expect(logWindow({ ...base, scrollTop: 1000, rows: 1000 })).toEqual({
      first: 45,
      count: 30,
      offsetPx: 900,
      scrollPx: 20_000,
    });
    const bottom = logWindow({ ...base, scrollTop: 19_600, rows: 1000 });
    expect(bottom.first + bottom.count).toBe(1000);
    expect(bottom.offsetPx).toBe(bottom.first * 20);
  });

  it('holds a million rows in a bounded scroll area, reaching the first and the last row', () => {
    const rows = 1_000_000;
    const top = logWindow({ ...base, scrollTop: 0, rows });
    expect(top.scrollPx).toBe(8_000_000);
    expect(top).toMatchObject({ first: 0, offsetPx: 0 });
    expect(top.count).toBe(25);
    const scrollTop = 8_000_000 - 400;
    const bottom = logWindow({ ...base, scrollTop, rows });
    expect(bottom.first + bottom.count).toBe(rows);
    // The last row's bottom edge meets the viewport's bottom edge.
    const lastRowBottom = bottom.offsetPx + bottom.count * 20;
    expect(lastRowBottom).toBeCloseTo(scrollTop + 400, 6);
    const middle = logWindow({ ...base, scrollTop: scrollTop / 2, rows });
    expect(middle.first + 5).toBeCloseTo(rows / 2 - 10, -1);
    // The row at the viewport's top sits at the scroll position.
    const rowAtTop = middle.offsetPx + 5 * 20;
    expect(Math.abs(rowAtTop - scrollTop / 2)).toBeLessThan(20);
  });

  it('copes with an empty log and a scroll position past the end', () => {
    expect(logWindow({ ...base, scrollTop: 50, rows: 0 })).toEqual({
      first: 0,
      count: 0,
      offsetPx: 0,
      scrollPx: 0,
    });
    expect(logWindow({ ...base, scrollTop: 1e9, rows: 100 }).first + 25).toBeGreaterThan(99);
  });
});

describe('pages', () => {
  it('maps seqs to pages of 1000 lines', () => {
    expect([pageOf(1), pageOf(1000), pageOf(1001)]).toEqual([0, 0, 1]);
    expect(pagesBetween(990, 2010)).toEqual([0, 1, 2]);
    expect(pagesBetween(5, 4)).toEqual([]);
  });
});
