// The arithmetic of a virtualised log: which rows a scroll position shows, and which
// pages of lines they need. Pure functions, so they are tested without a browser.

/** Lines fetched and kept together, one `?after=&limit=` request each. */
export const PAGE_LINES = 1000;

/**
 * The tallest scroll area the view makes, in CSS pixels. Browsers cap an element's height
 * (Firefox near 17.9M px, Chromium near 33.5M px); past this, a scroll pixel covers more
 * than one pixel of rows, so a million lines still fit.
 */
export const MAX_SCROLL_PX = 8_000_000;

export interface WindowInput {
  scrollTop: number;
  viewportPx: number;
  rowPx: number;
  /** Rows in the whole log. */
  rows: number;
  /** Rows rendered beyond each edge of the viewport, so a quick scroll shows no gap. */
  overscan: number;
  maxScrollPx?: number;
}

export interface LogWindow {
  /** Index of the first rendered row. */
  first: number;
  /** Rows rendered from `first`. */
  count: number;
  /** Where row `first` goes, in pixels from the top of the scroll area. */
  offsetPx: number;
  /** Height of the scroll area. */
  scrollPx: number;
}

/** The rows to render for a scroll position. */
export function logWindow(input: WindowInput): LogWindow {
  const { rowPx, rows, overscan } = input;
  const scrollPx = Math.min(rows * rowPx, input.maxScrollPx ?? MAX_SCROLL_PX);
  const range = Math.max(0, scrollPx - input.viewportPx);
  const visibleRows = input.viewportPx / rowPx;
  const scrollTop = Math.min(Math.max(0, input.scrollTop), range);
  // The scroll fraction picks the top row; unscaled, this is scrollTop / rowPx exactly.
  const top = range === 0 ? 0 : (scrollTop / range) * Math.max(0, rows - visibleRows);
  const first = Math.max(0, Math.floor(top) - overscan);
  const end = Math.min(rows, Math.ceil(top + visibleRows) + overscan);
  return {
    first,
    count: Math.max(0, end - first),
    offsetPx: scrollTop - (top - first) * rowPx,
    scrollPx,
  };
}

/** The page holding a seq (seq 1 is in page 0). */
export function pageOf(seq: number): number {
  return Math.floor((seq - 1) / PAGE_LINES);
}

/** The pages that hold seqs from..to, inclusive. */
export function pagesBetween(from: number, to: number): number[] {
  const pages: number[] = [];
  if (to < from) return pages;
  for (let page = pageOf(from); page <= pageOf(to); page++) pages.push(page);
  return pages;
}
