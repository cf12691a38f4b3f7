/// <reference lib="dom" />
import type { LogLine } from '@berth/protocol';
import { parseAnsi } from './ansi.js';
import { h } from './dom.js';
import { icon } from './icons.js';
import { LogLines } from './log-lines.js';
import type { LogSource } from './log-source.js';
import { PAGE_LINES, logWindow, pagesBetween } from './log-window.js';

/** Every row is this tall (CSS `.log-line`), in CSS pixels; the windowing relies on it. */
export const ROW_PX = 20;
/** Rows rendered above and below the viewport. */
const OVERSCAN_ROWS = 40;
/** Pages held with a source to fetch from again (200k lines), and without one (50k lines). */
const MAX_PAGES_FETCHED = 200;
const MAX_PAGES_LIVE = 50;
/** Within this many pixels of the bottom counts as "at the tail", in CSS pixels. */
const TAIL_SLACK_PX = 24;
/** A page that failed to load is asked for again after this long, in milliseconds. */
const RETRY_PAGE_MS = 2_000;

export interface LogView {
  element: HTMLElement;
  /** Adds lines; a seq already held is replaced by the same line. */
  push(lines: LogLine[]): void;
  /** The highest sequence number known, to resume a stream after it. */
  readonly lastSeq: number;
  /** Clears the lines, for a stream that starts over (a container's tail). */
  reset(): void;
  setStatus(text: string, kind?: 'live' | 'done' | 'error' | 'idle'): void;
  setControls(...controls: HTMLElement[]): void;
}

/**
 * A terminal-like log that holds a million lines: only the rows in view (and a margin)
 * are in the DOM, each ROW_PX tall, over a scroll area as tall as the log. Lines not held
 * are fetched a page at a time from `source`. The view follows the tail until the user
 * scrolls up, and "Jump to latest" brings it back. `stderr` and `system` lines are
 * labelled, not only coloured; ANSI colours become spans with text content.
 */
export function createLogView(options: {
  label: string;
  empty?: string;
  source?: LogSource;
}): LogView {
  const { source } = options;
  const store = new LogLines(source ? MAX_PAGES_FETCHED : MAX_PAGES_LIVE, Boolean(source));
  const loading = new Set<number>();
  let follow = true;
  let scheduled = false;
  const shown = new Map<number, HTMLElement>();
  let shownSeqWidth = '';
  /** The seqs of the rows in the DOM, in order. */
  let shownFrom = 0;
  let shownTo = -1;

  const rowsElement = h('div', { class: 'log-rows' });
  const spacer = h('div', { class: 'log-spacer' }, rowsElement);
  const placeholder = h('p', { class: 'log-empty' }, options.empty ?? 'Waiting for output…');
  const body = h(
    'div',
    { class: 'log-body', attrs: { role: 'log', 'aria-label': options.label, tabindex: '0' } },
    placeholder,
    spacer,
  );
  const status = h('span', { class: 'log-status', data: { kind: 'idle' } });
  const controls = h('span', { class: 'log-controls' });
  const setFollow = (value: boolean) => {
    follow = value;
    element.dataset.following = String(value);
    jump.hidden = value;
  };
  const jump = h(
    'button',
    {
      class: 'btn btn-secondary btn-small log-jump',
      attrs: { type: 'button', hidden: true },
      on: {
        click: () => {
          setFollow(true);
          render();
        },
      },
    },
    icon('arrowDown', 14),
    h('span', {}, 'Jump to latest'),
  );
  const element = h(
    'div',
    { class: 'log-view', data: { following: 'true' } },
    h('div', { class: 'log-toolbar' }, status, controls),
    body,
    jump,
  );

  body.addEventListener('scroll', () => {
    const atTail = body.scrollHeight - body.scrollTop - body.clientHeight <= TAIL_SLACK_PX;
    if (atTail !== follow) setFollow(atTail);
    render();
  });

  const load = (page: number): void => {
    if (!source || loading.has(page)) return;
    loading.add(page);
    source.fetch(page * PAGE_LINES, PAGE_LINES).then(
      (lines) => {
        loading.delete(page);
        store.add(lines);
        schedule();
      },
      () => setTimeout(() => loading.delete(page), RETRY_PAGE_MS),
    );
  };

  function render(): void {
    scheduled = false;
    const rows = store.rows;
    placeholder.hidden = rows > 0;
    const viewportPx = body.clientHeight;
    let win = logWindow({
      scrollTop: body.scrollTop,
      viewportPx,
      rowPx: ROW_PX,
      rows,
      overscan: OVERSCAN_ROWS,
    });
    spacer.style.height = `${win.scrollPx}px`;
    if (follow && body.scrollTop < win.scrollPx - viewportPx) {
      body.scrollTop = win.scrollPx;
      win = logWindow({
        scrollTop: body.scrollTop,
        viewportPx,
        rowPx: ROW_PX,
        rows,
        overscan: OVERSCAN_ROWS,
      });
    }
    rowsElement.style.transform = `translateY(${win.offsetPx}px)`;
    const seqWidth = `${Math.max(4, String(store.last).length)}ch`;
    // Set only on change: a custom property restyles every row.
    if (seqWidth !== shownSeqWidth)
      rowsElement.style.setProperty('--seq-ch', (shownSeqWidth = seqWidth));
    const from = store.first + win.first;
    const to = from + win.count - 1;
    updateRows(from, to);
    if (source) {
      for (const page of pagesBetween(from, to)) {
        if (!store.touch(page) || !store.complete(page)) load(page);
      }
    }
  }

  /**
   * Shows rows from..to. Rows still in range stay in the DOM untouched, so a scroll adds and
   * removes only the rows at the edges; a row whose line has arrived is replaced in place.
   */
  function updateRows(from: number, to: number): void {
    for (const [seq, node] of shown) {
      if (seq < from || seq > to) {
        node.remove();
        shown.delete(seq);
      } else if (node.classList.contains('log-pending') && store.get(seq)) {
        const loaded = renderRow(seq);
        node.replaceWith(loaded);
        shown.set(seq, loaded);
      }
    }
    const kept =
      shown.size > 0 ? { first: Math.max(from, shownFrom), last: Math.min(to, shownTo) } : null;
    const rowsFrom = (a: number, b: number) => {
      const fragment = document.createDocumentFragment();
      for (let seq = a; seq <= b; seq++) {
        const node = renderRow(seq);
        shown.set(seq, node);
        fragment.append(node);
      }
      return fragment;
    };
    if (!kept) rowsElement.replaceChildren(rowsFrom(from, to));
    else {
      rowsElement.prepend(rowsFrom(from, kept.first - 1));
      rowsElement.append(rowsFrom(kept.last + 1, to));
    }
    shownFrom = from;
    shownTo = to;
  }

  function renderRow(seq: number): HTMLElement {
    const line = store.get(seq);
    return line ? renderLine(line) : renderPending(seq);
  }

  function schedule(): void {
    if (scheduled) return;
    scheduled = true;
    // A frame when visible; the timer covers hidden tabs, where frames stop.
    const timer = setTimeout(render, 250);
    requestAnimationFrame(() => {
      clearTimeout(timer);
      if (scheduled) render();
    });
  }

  return {
    element,
    get lastSeq() {
      return store.last;
    },
    push(lines) {
      if (lines.length === 0) return;
      store.add(lines);
      schedule();
    },
    reset() {
      store.clear();
      shown.clear();
      rowsElement.replaceChildren();
      schedule();
    },
    setStatus(text, kind = 'idle') {
      status.textContent = text;
      status.dataset.kind = kind;
    },
    setControls(...items) {
      controls.replaceChildren(...items);
    },
  };
}

function seqCell(seq: number): HTMLElement {
  return h('span', { class: 'log-seq', attrs: { 'aria-hidden': 'true' } }, seq);
}

function renderLine(line: LogLine): HTMLElement {
  const marked = line.stream === 'stderr' || line.stream === 'system';
  const text = h('span', { class: 'log-text' });
  for (const segment of parseAnsi(line.text)) {
    if (segment.fg === null && !segment.bold) {
      text.append(segment.text);
      continue;
    }
    const span = document.createElement('span');
    span.className = [
      segment.fg === null ? '' : `ansi-fg-${segment.fg}`,
      segment.bold ? 'ansi-bold' : '',
    ]
      .filter(Boolean)
      .join(' ');
    span.textContent = segment.text;
    text.append(span);
  }
  return h(
    'div',
    { class: `log-line log-${line.stream}`, data: { stream: line.stream, seq: String(line.seq) } },
    seqCell(line.seq),
    marked ? h('span', { class: 'log-tag' }, line.stream) : null,
    text,
  );
}

/** A row whose line is being fetched. */
function renderPending(seq: number): HTMLElement {
  return h(
    'div',
    { class: 'log-line log-pending', data: { seq: String(seq) } },
    seqCell(seq),
    h('span', { class: 'log-text' }, '…'),
  );
}
