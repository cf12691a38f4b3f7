/// <reference lib="dom" />
import { h } from './dom.js';
import { icon } from './icons.js';

export type ToastKind = 'success' | 'info' | 'warning' | 'error';

const HOLD_MS: Record<ToastKind, number> = {
  success: 4_000,
  info: 5_000,
  warning: 7_000,
  error: 9_000,
};

let region: HTMLElement | undefined;

function toastRegion(): HTMLElement {
  if (region?.isConnected) return region;
  region = h('div', { class: 'toasts', attrs: { role: 'status', 'aria-live': 'polite' } });
  document.body.appendChild(region);
  return region;
}

/** Shows a short message in the corner; it leaves on its own or with its close button. */
export function toast(message: string, options: { kind?: ToastKind; detail?: string } = {}): void {
  const kind = options.kind ?? 'success';
  const close = (): void => {
    item.classList.add('toast-leaving');
    setTimeout(() => item.remove(), 150);
  };
  const item = h(
    'div',
    { class: `toast toast-${kind}`, data: { kind } },
    h(
      'div',
      { class: 'toast-body' },
      h('strong', { class: 'toast-message' }, message),
      options.detail ? h('span', { class: 'toast-detail' }, options.detail) : null,
    ),
    h(
      'button',
      {
        class: 'icon-button toast-close',
        attrs: { type: 'button', 'aria-label': 'Dismiss' },
        on: { click: close },
      },
      icon('x', 14),
    ),
  );
  const list = toastRegion();
  list.appendChild(item);
  // Keep the corner tidy when many actions are queued at once.
  while (list.children.length > 4) list.firstElementChild?.remove();
  setTimeout(close, HOLD_MS[kind]);
}
