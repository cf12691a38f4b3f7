/// <reference lib="dom" />
import { h, replace } from '../dom.js';
import type { Route } from '../router.js';
import { button } from '../ui.js';

export interface PageContext {
  /** Aborts when the user leaves the page: streams and timers stop with it. */
  signal: AbortSignal;
  onSignedOut(): void;
}

export interface Page {
  element: HTMLElement;
  /** Called instead of rebuilding when the new route has the same key (e.g. another tab). */
  update?(route: Route): void;
}

export function loadingView(what = 'Loading…'): HTMLElement {
  return h('p', { class: 'loading', attrs: { role: 'status' } }, what);
}

/** Fills `target` once `load` resolves; on failure shows the reason and a Retry button. */
export function loadInto(
  target: HTMLElement,
  load: () => Promise<Node>,
  signal: AbortSignal,
): void {
  replace(target, loadingView());
  load().then(
    (node) => {
      if (!signal.aborted) replace(target, node);
    },
    (err: unknown) => {
      if (signal.aborted) return;
      const message = err instanceof Error ? err.message : String(err);
      replace(
        target,
        h(
          'div',
          { class: 'load-error', attrs: { role: 'alert' } },
          h('p', {}, message),
          button('Retry', { onClick: () => loadInto(target, load, signal) }),
        ),
      );
    },
  );
}

export function setTitle(...parts: string[]): void {
  document.title = [...parts, 'Berth'].join(' · ');
}
