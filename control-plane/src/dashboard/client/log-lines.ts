import type { LogLine } from '@berth/protocol';
import { PAGE_LINES, pageOf } from './log-window.js';

/**
 * The lines a log view holds, in pages of PAGE_LINES by seq, at most `maxPages` of them.
 * With a source to fetch from (a deployment's stored log) the least recently used page is
 * let go and fetched again when it is shown; without one (a container's output) the oldest
 * lines are dropped and the log starts later.
 */
export class LogLines {
  /** Map order is use order: the first page is the least recently used. */
  private readonly pages = new Map<number, (LogLine | undefined)[]>();
  /** The lowest seq the view shows. */
  first = 1;
  /** The highest seq known. */
  last = 0;

  constructor(
    private readonly maxPages: number,
    private readonly refetchable: boolean,
  ) {}

  get rows(): number {
    return Math.max(0, this.last - this.first + 1);
  }

  get(seq: number): LogLine | undefined {
    const page = this.pages.get(pageOf(seq));
    return page?.[(seq - 1) % PAGE_LINES];
  }

  /** Marks a page as just used, so it is the last one let go. */
  touch(page: number): boolean {
    const lines = this.pages.get(page);
    if (!lines) return false;
    this.pages.delete(page);
    this.pages.set(page, lines);
    return true;
  }

  /** Whether every line of a page up to `last` is here. */
  complete(page: number): boolean {
    const lines = this.pages.get(page);
    if (!lines) return false;
    const from = Math.max(this.first, page * PAGE_LINES + 1);
    const to = Math.min(this.last, (page + 1) * PAGE_LINES);
    for (let seq = from; seq <= to; seq++) if (!lines[(seq - 1) % PAGE_LINES]) return false;
    return true;
  }

  /** Stores lines; a seq past `last` moves it on, even across a gap (filled on demand). */
  add(lines: LogLine[]): void {
    for (const line of lines) {
      if (line.seq < this.first) continue;
      const index = pageOf(line.seq);
      let page = this.pages.get(index);
      if (!page) {
        page = [];
        this.pages.set(index, page);
      }
      page[(line.seq - 1) % PAGE_LINES] = line;
      if (line.seq > this.last) this.last = line.seq;
    }
    this.trim();
  }

  private trim(): void {
    while (this.pages.size > this.maxPages) {
      if (this.refetchable) {
        const newest = pageOf(this.last);
        const victim = [...this.pages.keys()].find((page) => page !== newest);
        if (victim === undefined) return;
        this.pages.delete(victim);
      } else {
        const oldest = Math.min(...this.pages.keys());
        this.pages.delete(oldest);
        this.first = Math.max(this.first, (oldest + 1) * PAGE_LINES + 1);
      }
    }
  }

  clear(): void {
    this.pages.clear();
    this.first = 1;
    this.last = 0;
  }
}
