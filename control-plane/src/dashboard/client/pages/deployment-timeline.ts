/// <reference lib="dom" />
import type { Deployment } from '@berth/protocol';
import { h, replace } from '../dom.js';
import { duration, phaseSpans } from '../format.js';

export interface TimelineView {
  element: HTMLElement;
  /** Redraws the bars; a running phase grows until it ends. */
  update(deployment: Deployment): void;
}

/**
 * A small bar chart of a deployment's phases: one line per phase with its name, a bar placed
 * where it ran on the deployment's time axis, and how long it took.
 */
export function timelineChart(initial: Deployment): TimelineView {
  const list = h('ol', {
    class: 'timeline',
    attrs: { 'aria-label': `Timeline of deployment #${initial.number}` },
  });
  const element = h('div', { class: 'timeline-panel' }, list);
  const update = (deployment: Deployment) => {
    const spans = phaseSpans(deployment);
    if (spans.length === 0) {
      replace(list, h('li', { class: 'muted' }, 'No phases were recorded for this deployment.'));
      return;
    }
    const last = spans.at(-1)!;
    const totalMs = Math.max(1, last.offsetMs + last.ms);
    replace(
      list,
      ...spans.map((span) => {
        const bar = h('span', { class: 'phase-bar' });
        // Set through the CSSOM: the page's CSP allows no inline style attributes.
        bar.style.marginLeft = `${((span.offsetMs / totalMs) * 100).toFixed(2)}%`;
        bar.style.width = `${Math.max(0.5, (span.ms / totalMs) * 100).toFixed(2)}%`;
        const label = `${span.name} ${duration(span.ms)}${span.running ? ' (running)' : ''}`;
        return h(
          'li',
          { class: 'phase', data: { phase: span.name, running: String(span.running) } },
          h('span', { class: 'phase-name' }, span.name),
          h('span', { class: 'phase-track', attrs: { 'aria-hidden': 'true' } }, bar),
          h('span', { class: 'phase-time numeric', attrs: { title: label } }, duration(span.ms)),
        );
      }),
    );
  };
  update(initial);
  return { element, update };
}
