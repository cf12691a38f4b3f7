/// <reference lib="dom" />
import type { LogLine } from '@berth/protocol';
import { h, replace } from './dom.js';
import { icon } from './icons.js';

/** Lines kept on screen; older ones are dropped so a long build stays fast. */
const MAX_LINES = 5_000;
/** Within this many pixels of the bottom counts as "at the tail", in CSS pixels. */
const TAIL_SLACK_PX = 24;

export interface LogView {
  element: HTMLElement;
  /** Adds lines; repeated or older sequence numbers are ignored. */
  push(lines: LogLine[]): void;
  /** The highest sequence number shown, to resume a stream after it. */
  readonly lastSeq: number;
  /** Clears the lines, for a stream that starts over (a container's tail). */
  reset(): void;
  setStatus(text: string, kind?: 'live' | 'done' | 'error' | 'idle'): void;
  setControls(...controls: HTMLElement[]): void;
}

/**
 * A terminal-like log. New lines are added once per frame, the view follows the
 * tail until the user scrolls up, and "Jump to latest" brings it back.
 * `stderr` and `system` lines are labelled, not only coloured.
 */
export function createLogView(options: { label: string; empty?: string }): LogView {
  let lastSeq = 0;
  let follow = true;
  let pending: LogLine[] = [];
  let scheduled = false;
  let trimmed = false;

  const body = h('div', {
    class: 'log-body',
    attrs: { role: 'log', 'aria-label': options.label, tabindex: '0' },
  });
  const placeholder = h('p', { class: 'log-empty' }, options.empty ?? 'Waiting for output…');
  body.appendChild(placeholder);
  const status = h('span', { class: 'log-status', data: { kind: 'idle' } });
  const controls = h('span', { class: 'log-controls' });
  const jump = h(
    'button',
    {
      class: 'btn btn-secondary btn-small log-jump',
      attrs: { type: 'button', hidden: true },
      on: {
        click: () => {
          follow = true;
          jump.hidden = true;
          element.dataset.following = 'true';
          body.scrollTop = body.scrollHeight;
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
    follow = atTail;
    element.dataset.following = String(atTail);
    jump.hidden = atTail;
  });

  const flush = (): void => {
    scheduled = false;
    if (pending.length === 0) return;
    const batch = pending;
    pending = [];
    placeholder.remove();
    const fragment = document.createDocumentFragment();
    for (const line of batch) fragment.appendChild(renderLine(line));
    body.appendChild(fragment);
    let excess = body.childElementCount - MAX_LINES;
    if (excess > 0 && !trimmed) {
      trimmed = true;
      body.prepend(h('p', { class: 'log-trimmed' }, 'Earlier lines are hidden here to keep up.'));
      excess += 1;
    }
    for (; excess > 0; excess--) body.children[1]?.remove();
    if (follow) body.scrollTop = body.scrollHeight;
  };

  return {
    element,
    get lastSeq() {
      return lastSeq;
    },
    push(lines) {
      for (const line of lines) {
        if (line.seq <= lastSeq) continue;
        lastSeq = line.seq;
        pending.push(line);
      }
      if (scheduled || pending.length === 0) return;
      scheduled = true;
      // A frame when visible; the timer covers hidden tabs, where frames stop.
      const timer = setTimeout(flush, 250);
      requestAnimationFrame(() => {
        clearTimeout(timer);
        flush();
      });
    },
    reset() {
      lastSeq = 0;
      pending = [];
      trimmed = false;
      replace(body, placeholder);
    },
    setStatus(text, kind = 'idle') {
      status.textContent = text;
      status.dataset.kind = kind;
    },
    setControls(...items) {
      replace(controls, ...items);
    },
  };
}

function renderLine(line: LogLine): HTMLElement {
  const marked = line.stream === 'stderr' || line.stream === 'system';
  return h(
    'div',
    { class: `log-line log-${line.stream}`, data: { stream: line.stream, seq: String(line.seq) } },
    h('span', { class: 'log-seq', attrs: { 'aria-hidden': 'true' } }, line.seq),
    marked ? h('span', { class: 'log-tag' }, line.stream) : null,
    h('span', { class: 'log-text' }, line.text),
  );
}
